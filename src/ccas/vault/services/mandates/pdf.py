"""The printable mandate form (PDF, French), built with reportlab.

The same document serves the person and the agents: printed blank-ish to be
signed on paper, or printed after the signatures with their dates and methods.
"""

from ccas.vault.api import mandates as mandate_api
from ccas.vault.scopes import ACCOUNT
from ccas.vault.scopes import CONSULT
from ccas.vault.scopes import DEPOSIT
from ccas.vault.scopes import EXTRACT
from ccas.vault.scopes import SCOPES
from ccas.vault.scopes import SHARE
from ccas.vault.services.mandates.common import fullname
from ccas.vault.services.mandates.common import organisation_title
from datetime import datetime
from io import BytesIO
from plone import api
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether
from reportlab.platypus import Paragraph
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo
import os


PARIS = ZoneInfo("Europe/Paris")
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

TITLE = "Mandat d'accompagnement administratif"
SCOPE_LABELS = {
    CONSULT: "Consulter mes papiers (aperçu)",
    EXTRACT: "Télécharger et imprimer mes papiers",
    DEPOSIT: "Déposer des papiers (et les certifier si l'organisme le peut)",
    SHARE: "Partager mes papiers en mon nom",
    ACCOUNT: "M'aider pour mon compte (sans jamais connaître mon mot de passe)",
}
METHOD_LABELS = {
    "electronic": "signature en ligne",
    "paper": "formulaire papier signé",
    "agent": "confirmation en ligne de l'agent",
}
UNTIL_REVOKED = "jusqu'à révocation"
RIGHT_TO_REVOKE = (
    "Je peux révoquer ce mandat à tout moment, depuis mon coffre-fort numérique ou "
    "auprès du CCAS. À la fin du mandat, les agents n'ont plus accès à mes papiers ; "
    "je suis invité(e) à changer mon mot de passe."
)
PRIVATE_SPACE = (
    "Mon espace privé n'est jamais visible des agents. Les agents ne connaissent "
    "jamais mon mot de passe. Chaque action des agents est tracée et je peux la consulter."
)


def _fonts():
    """(regular, bold) font names: DejaVuSans when installed, else Helvetica."""
    if os.path.exists(DEJAVU):
        if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVuSans", DEJAVU))
        bold = "DejaVuSans"
        if os.path.exists(DEJAVU_BOLD):
            if "DejaVuSans-Bold" not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", DEJAVU_BOLD))
            bold = "DejaVuSans-Bold"
        return "DejaVuSans", bold
    return "Helvetica", "Helvetica-Bold"


def french_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def french_moment(when):
    """``"17/05/2026 à 14:03"`` (Europe/Paris) from an ISO timestamp."""
    try:
        return datetime.fromisoformat(when).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    except (TypeError, ValueError):
        return when or ""


def _p(value):
    return escape(str(value or ""))


PERSONAL_SCOPE_LABELS = {
    CONSULT: "Voir mes papiers partagés (aperçu, sans les télécharger)",
    DEPOSIT: "Ajouter des papiers dans mon espace partagé",
    SHARE: "Partager mes papiers partagés en mon nom",
}
PERSONAL_DUTIES = (
    "La personne de confiance agit pour m'aider, dans les seules limites de ce mandat, "
    "avec son propre identifiant et son propre mot de passe."
)
PERSONAL_PRIVATE_SPACE = (
    "Mon espace privé, mes originaux, mon compte et mon mot de passe ne sont jamais "
    "accessibles à la personne de confiance. Chacune de ses actions est tracée à son nom "
    "et je peux la consulter."
)


def _mandatary_name(mandate):
    return fullname(mandate.agents[0]) if mandate.agents else mandate.mandatary_name


def mandate_pdf(mandate, vault):
    """The mandate form as PDF bytes."""
    regular, bold = _fonts()
    styles = {
        "title": ParagraphStyle(
            "title", fontName=bold, fontSize=16, leading=20, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle", fontName=regular, fontSize=11, leading=14, alignment=TA_CENTER
        ),
        "h": ParagraphStyle(
            "h", fontName=bold, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=3
        ),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10, leading=13),
        "small": ParagraphStyle("small", fontName=regular, fontSize=8.5, leading=11),
    }
    body = styles["body"]
    ccas_name = api.portal.get().Title() or "CCAS"
    story = [
        Paragraph(_p(TITLE), styles["title"]),
        Paragraph(_p(ccas_name), styles["subtitle"]),
        Paragraph(_p(f"Référence du mandat : {mandate.getId()}"), styles["subtitle"]),
        Spacer(1, 6 * mm),
        Paragraph("La personne", styles["h"]),
        Paragraph(
            f"Prénom : <b>{_p(vault.first_name)}</b> &nbsp;&nbsp; "
            f"Nom : <b>{_p(vault.last_name)}</b>",
            body,
        ),
        Paragraph(f"Date de naissance : {_p(french_date(vault.birth_date))}", body),
    ]
    personal = mandate_api.is_personal(mandate)
    if personal:  # a relative or trusted person (decision 0049)
        story += [
            Paragraph("La personne de confiance", styles["h"]),
            Paragraph(f"• {_p(_mandatary_name(mandate))} — {_p(mandate.relation)}", body),
        ]
    else:
        story.append(Paragraph("Les agents mandatés", styles["h"]))
    for agent in () if personal else (mandate.agents or ()):
        organisation = organisation_title((mandate.organisations or {}).get(agent, ""))
        line = f"• {_p(fullname(agent))}"
        if organisation:
            line += f" — {_p(organisation)}"
        story.append(Paragraph(line, body))

    story.append(
        Paragraph(
            "Ce que cette personne peut faire pour moi"
            if personal
            else "Ce que les agents peuvent faire pour moi",
            styles["h"],
        )
    )
    chosen = set(mandate.scopes or ())
    rows = [
        [
            Paragraph("X" if scope in chosen else "", body),
            Paragraph(_p((PERSONAL_SCOPE_LABELS if personal else SCOPE_LABELS)[scope]), body),
        ]
        for scope in (mandate_api.PERSONAL_SCOPES if personal else SCOPES)
    ]
    checklist = Table(rows, colWidths=[7 * mm, 150 * mm])
    style = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("ALIGN", (0, 0), (0, -1), "CENTER")]
    for index in range(len(rows)):
        style.append(("BOX", (0, index), (0, index), 0.8, colors.black))
        style.append(("BOTTOMPADDING", (0, index), (-1, index), 4))
    checklist.setStyle(TableStyle(style))
    story.append(checklist)
    story.append(
        Paragraph(
            "Une case cochée : je l'autorise. Une case vide : je ne l'autorise pas.",
            styles["small"],
        )
    )

    story += [
        Paragraph("Objet du mandat", styles["h"]),
        Paragraph(_p(mandate.purpose).replace("\n", "<br/>"), body),
        Spacer(1, 2 * mm),
        Paragraph(_p(PERSONAL_DUTIES if personal else mandate.duties_statement), body),
        Paragraph("Durée", styles["h"]),
        Paragraph(f"Début : {_p(french_date(mandate.start))}", body),
        Paragraph(
            f"Fin : {_p(french_date(mandate.end) if mandate.end else UNTIL_REVOKED)}",
            body,
        ),
        *_ended(mandate, body),
        Paragraph("Mes droits", styles["h"]),
        Paragraph(_p(RIGHT_TO_REVOKE), body),
        Paragraph(_p(PERSONAL_PRIVATE_SPACE if personal else PRIVATE_SPACE), body),
        Paragraph("Signatures", styles["h"]),
    ]
    story.append(KeepTogether(_signature_table(mandate, vault, body, styles["small"])))
    out = BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=TITLE,
        author=ccas_name,
    )
    document.build(story)
    return out.getvalue()


ENDED_LABELS = {
    "revoked": "révoqué par la personne",
    "withdrawn": "tous les agents se sont retirés",
    "expired": "arrivé à son terme",
}


def _ended(mandate, body):
    ended = mandate.ended
    if not ended:
        return []
    why = ENDED_LABELS.get(ended.get("why"), ended.get("why") or "")
    return [
        Paragraph(_p(f"Ce mandat a pris fin le {french_moment(ended.get('when'))} ({why})."), body)
    ]


def _signature_cell(name, role, signed, body, small):
    parts = [Paragraph(f"<b>{_p(name)}</b>", body), Paragraph(_p(role), small)]
    if signed:
        parts.append(Paragraph(_p(signed), body))
    else:
        parts.append(Paragraph("Date et signature :", small))
        parts.append(Spacer(1, 16 * mm))
    return parts


def _signature_table(mandate, vault, body, small):
    signature = mandate.person_signature
    person_signed = ""
    if signature:
        method = METHOD_LABELS.get(signature.get("method"), signature.get("method") or "")
        person_signed = f"Signé le {french_moment(signature.get('when'))} ({method})"
    cells = [
        _signature_cell(vault.display_name, "La personne (mandant)", person_signed, body, small)
    ]
    if mandate_api.is_personal(mandate):
        when = next(iter((mandate.agent_signatures or {}).values()), None)
        signed = f"Signé le {french_moment(when)} (signature en ligne)" if when else ""
        role = f"La personne de confiance — {mandate.relation}"
        cells.append(_signature_cell(_mandatary_name(mandate), role, signed, body, small))
    for agent in () if mandate_api.is_personal(mandate) else (mandate.agents or ()):
        organisation = organisation_title((mandate.organisations or {}).get(agent, ""))
        role = "Agent mandaté" + (f" — {organisation}" if organisation else "")
        when = (mandate.agent_signatures or {}).get(agent)
        signed = f"Signé le {french_moment(when)} ({METHOD_LABELS['agent']})" if when else ""
        cells.append(_signature_cell(fullname(agent), role, signed, body, small))
    rows = [cells[index : index + 2] for index in range(0, len(cells), 2)]
    if len(rows[-1]) == 1:
        rows[-1].append("")
    table = Table(rows, colWidths=[85 * mm, 85 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [table]
