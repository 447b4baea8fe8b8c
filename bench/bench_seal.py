"""Benchmark of the CCAS seal on a ~1 MB multi-page PDF.

Builds a real PDF with reportlab (12 A4 pages of text, each with a scanned-like
photo, ~1 MB), then times, with a throwaway key directory:

- the raw SHA-256 of the file (the physical floor: certification must at
  least read every byte once);
- the seal of a PDF as certification does it (``pades.sign_pdf`` — pyHanko,
  incremental update, ECDSA P-256 — then the SHA-256 of the signed bytes and
  the Ed25519 seal ``make_seal``);
- the seal alone (what an image or an office file gets);
- the watermark of a shared copy (``ccas.vault.sharing.watermark``) when that
  module exists; the line is skipped otherwise.

Prints medians and the ratio of each against the raw SHA-256.  Needs no Plone
site.  Passes (returns 0) when the signed PDF validates with pyHanko and the
PDF seal costs under one second per MB.
"""

from pathlib import Path
import hashlib
import io
import os
import random
import statistics
import sys
import tempfile
import time


TARGET_MB = 1.0
MAX_SECONDS_PER_MB = 1.0
RUNS = 7


def make_pdf(target_bytes=int(TARGET_MB * 1_000_000)):
    """A real multi-page PDF of about ``target_bytes``: text and a photo on every page."""
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rng = random.Random(42)
    pages = 12
    photo_bytes = int(target_bytes * 0.8) // pages  # the text and the PDF structure add the rest
    out = io.BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    side = 300
    for page in range(1, pages + 1):
        sheet.setFont("Helvetica", 11)
        sheet.drawString(
            56, 800, f"CCAS de Démoville — dossier de domiciliation, page {page}/{pages}"
        )
        for line in range(30):
            words = " ".join(
                rng.choice(("attestation", "droits", "CAF", "loyer", "2026")) for _ in range(9)
            )
            sheet.drawString(56, 780 - 14 * line, words)
        # A scan-like photo: noise compresses badly, as real scans do.
        while True:
            noise = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
            buffer = io.BytesIO()
            noise.save(buffer, "JPEG", quality=70)
            if buffer.tell() >= photo_bytes * 0.95 or side > 1200:
                break
            side += 40
        sheet.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 56, 60, 300, 300)
        sheet.showPage()
    sheet.save()
    return out.getvalue()


def median_ms(function, runs=RUNS):
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main():
    with tempfile.TemporaryDirectory(prefix="bench-seal-keys-") as directory:
        os.environ["CCAS_VAULT_KEY_DIR"] = directory
        from ccas.vault.certification import keys
        from ccas.vault.certification import pades
        from ccas.vault.certification.seal import make_seal

        keys.create_key(Path(directory), name="CCAS de Démoville")
        data = make_pdf()
        size_mb = len(data) / 1_000_000

        def raw():
            hashlib.sha256(data).hexdigest()

        def seal_pdf():
            signed = pades.sign_pdf(data, reason="Document certifié (bench)", location="Démoville")
            digest = hashlib.sha256(signed).hexdigest()
            make_seal(
                sha256=digest,
                deposited_sha256=hashlib.sha256(data).hexdigest(),
                document_type="attestation-caf",
                by="agent",
                organisation="ccas",
            )
            return signed

        def seal_only():
            make_seal(sha256=hashlib.sha256(data).hexdigest(), document_type="cni", by="agent")

        signed = seal_pdf()  # warm-up, and the output checked below
        status = pades.validate(signed, [keys.certificate(keys.current_key_id())])
        valid = bool(status and status.bottom_line)

        raw_ms = median_ms(raw, runs=21)
        pdf_ms = median_ms(seal_pdf)
        only_ms = median_ms(seal_only, runs=21)
        print(f"PDF: {size_mb:.2f} MB, 12 pages (reportlab); medians of {RUNS}+ runs")
        print(f"raw SHA-256 (floor)      {raw_ms:8.2f} ms")
        print(f"seal + PAdES (PDF)       {pdf_ms:8.2f} ms   x{pdf_ms / raw_ms:6.1f} the floor")
        print(f"seal only (image, other) {only_ms:8.2f} ms   x{only_ms / raw_ms:6.1f} the floor")
        try:
            from ccas.vault.sharing.watermark import watermark_pdf
        except ImportError:
            print("watermark: skipped (ccas.vault.sharing.watermark is not there yet)")
        else:
            text = "Copie pour la CAF — 23/11/2026 — ne vaut pas original"
            watermark_pdf(data, text)  # warm-up
            mark_ms = median_ms(lambda: watermark_pdf(data, text), runs=3)
            print(
                f"watermark (shared copy)  {mark_ms:8.2f} ms   x{mark_ms / raw_ms:6.1f} the floor"
            )
        per_mb = pdf_ms / 1000 / size_mb
        print(f"PAdES signature valid (pyHanko): {valid}; {per_mb:.3f} s per MB")
        return 0 if valid and per_mb <= MAX_SECONDS_PER_MB else 1


if __name__ == "__main__":
    sys.exit(main())
