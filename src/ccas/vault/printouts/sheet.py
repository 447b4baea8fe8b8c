"""A printed sheet of the CCAS (reportlab): A4, large plain type, the CCAS on every page.

Every page starts with the CCAS's logo, name, address, phone and e-mail from the
settings (:func:`ccas.vault.settings.ccas_identity`) and ends with the sheet's
title and page number.  Builders add paragraphs, lists, boxes to tick and
signature boxes, then call :meth:`Sheet.build`.
"""

from ccas.vault.services.mandates.pdf import _fonts
from ccas.vault.settings import ccas_identity
from io import BytesIO
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import KeepTogether
from reportlab.platypus import Paragraph
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle
from xml.sax.saxutils import escape


MARGIN = 18 * mm
HEADER = 36 * mm  # room kept at the top of every page for the CCAS's header
LOGO_BOX = (24 * mm, 20 * mm)
BLUE = colors.Color(0.05, 0.2, 0.45)


def text(value):
    """``value`` escaped for a reportlab paragraph."""
    return escape(str(value or ""))


class Sheet:
    """One PDF being written; ``title`` is printed big on the first page and at every foot."""

    def __init__(self, title, subtitle=""):
        self.title = title
        self.identity = ccas_identity()
        regular, bold = _fonts()
        self.regular, self.bold = regular, bold
        self.styles = {
            "title": ParagraphStyle(
                "title", fontName=bold, fontSize=18, leading=23, spaceAfter=4, textColor=BLUE
            ),
            "subtitle": ParagraphStyle(
                "subtitle", fontName=regular, fontSize=12, leading=16, spaceAfter=6
            ),
            "h": ParagraphStyle(
                "h", fontName=bold, fontSize=13, leading=17, spaceBefore=7, spaceAfter=3
            ),
            "body": ParagraphStyle(
                "body", fontName=regular, fontSize=11.5, leading=15, spaceAfter=2
            ),
            "bullet": ParagraphStyle(
                "bullet",
                fontName=regular,
                fontSize=11.5,
                leading=15,
                spaceAfter=2,
                leftIndent=5 * mm,
                bulletIndent=1 * mm,
            ),
            "big": ParagraphStyle("big", fontName=bold, fontSize=15, leading=20, spaceAfter=4),
            "small": ParagraphStyle("small", fontName=regular, fontSize=9.5, leading=12.5),
        }
        self.story = [Paragraph(text(title), self.styles["title"])]
        if subtitle:
            self.story.append(Paragraph(text(subtitle), self.styles["subtitle"]))

    # --- content ---------------------------------------------------------------------

    def heading(self, value):
        self.story.append(Paragraph(text(value), self.styles["h"]))

    def para(self, value, style="body", markup=False):
        """A paragraph; ``markup=True``: ``value`` is already escaped and may hold ``<b>``."""
        self.story.append(Paragraph(value if markup else text(value), self.styles[style]))

    def bullets(self, items):
        for item in items:
            self.story.append(Paragraph(text(item), self.styles["bullet"], bulletText="•"))

    def space(self, height=4 * mm):
        self.story.append(Spacer(1, height))

    def checkboxes(self, items):
        """Boxes to tick by hand, one per line."""
        body = self.styles["body"]
        rows = [["", Paragraph(text(item), body)] for item in items]
        table = Table(rows, colWidths=[8 * mm, 160 * mm])
        style = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOTTOMPADDING", (0, 0), (-1, -1), 5)]
        for index in range(len(rows)):
            style.append(("BOX", (0, index), (0, index), 1, colors.black))
        table.setStyle(TableStyle(style))
        self.story += [table, Spacer(1, 2 * mm)]

    def blanks(self, labels):
        """Lines to fill by hand: ``label : ______``."""
        body = self.styles["body"]
        rows = [[Paragraph(text(label), body), ""] for label in labels]
        table = Table(rows, colWidths=[62 * mm, 106 * mm], rowHeights=9.5 * mm)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LINEBELOW", (1, 0), (1, -1), 0.6, colors.black),
                ]
            )
        )
        self.story += [table, Spacer(1, 3 * mm)]

    def signatures(self, who):
        """Boxes to sign: one per label in ``who``, two by row."""
        body, small = self.styles["body"], self.styles["small"]
        cells = [
            [
                Paragraph(f"<b>{text(label)}</b>", body),
                Paragraph("Nom, date et signature :", small),
                Spacer(1, 18 * mm),
            ]
            for label in who
        ]
        rows = [cells[index : index + 2] for index in range(0, len(cells), 2)]
        if len(rows[-1]) == 1:
            rows[-1].append("")
        table = Table(rows, colWidths=[84 * mm, 84 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.story.append(KeepTogether([table]))

    def framed(self, lines, style="big"):
        """Lines in a box (the login, the address of the site)."""
        cell = [Paragraph(line, self.styles[style]) for line in lines]
        table = Table([[cell]], colWidths=[168 * mm])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 1.5, BLUE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ]
            )
        )
        self.story.append(table)

    # --- page furniture --------------------------------------------------------------

    def _page(self, canvas, document):
        width, height = A4
        identity = self.identity
        canvas.saveState()
        left = MARGIN
        top = height - 10 * mm
        logo = identity["logo"]
        if logo:
            try:
                image = ImageReader(BytesIO(logo))
                iw, ih = image.getSize()
                scale = min(LOGO_BOX[0] / iw, LOGO_BOX[1] / ih)
                w, h = iw * scale, ih * scale
                canvas.drawImage(image, left, top - h, w, h, mask="auto")
                left += LOGO_BOX[0] + 4 * mm
            except Exception:  # a broken logo never stops a sheet from printing
                pass
        canvas.setFillColor(BLUE)
        canvas.setFont(self.bold, 12)
        canvas.drawString(left, top - 4 * mm, identity["name"])
        canvas.setFillColor(colors.black)
        canvas.setFont(self.regular, 9)
        contact = " — ".join(part for part in (identity["phone"], identity["email"]) if part)
        y = top - 8.5 * mm
        for line in [*identity["address"][:3], contact]:
            if line:
                canvas.drawString(left, y, line)
                y -= 3.8 * mm
        canvas.setStrokeColor(BLUE)
        canvas.line(MARGIN, height - HEADER + 3 * mm, width - MARGIN, height - HEADER + 3 * mm)
        canvas.setFont(self.regular, 8.5)
        canvas.drawString(MARGIN, 10 * mm, f"{identity['name']} — {self.title}")
        canvas.drawRightString(width - MARGIN, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    def build(self):
        """The PDF bytes."""
        out = BytesIO()
        document = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=HEADER + 4 * mm,
            bottomMargin=18 * mm,
            title=self.title,
            author=self.identity["name"],
            creator="ccas.vault",
        )
        document.build(self.story, onFirstPage=self._page, onLaterPages=self._page)
        return out.getvalue()
