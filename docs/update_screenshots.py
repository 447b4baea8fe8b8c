"""Copy the browser tests' screenshots into ``docs/images/<guide>/`` (``make docs-screenshots``).

The browser tests (``tests/test_public_journeys.py``, ``tests/test_public_skin_browser.py``,
``tests/test_account_browser.py``, ``tests/test_self_service_browser.py``) write full-page
PNGs of the skin at 360 px into ``tests/screenshots/`` (not committed).  This script takes
the ones the user guide shows, cuts them at :data:`MAX_HEIGHT` pixels, reduces them to a
small palette and saves them as optimised PNGs under :data:`MAX_BYTES` each (committed).

Usage: ``python docs/update_screenshots.py [--check]`` (``--check``: only say what is
missing or too large, change nothing).
"""

from io import BytesIO
from pathlib import Path
import sys


DOCS = Path(__file__).parent
SOURCE = DOCS.parent / "tests" / "screenshots"
IMAGES = DOCS / "images"
MAX_HEIGHT = 1400
MAX_BYTES = 80_000

#: screenshots of the tests used by ``guide-usager.md`` (same name in docs/images/usager/)
USAGER = (
    "ouvrir-au-ccas",
    "ouvrir",
    "ouvrir-fait",
    "connexion",
    "connexion-erreur",
    "mes-papiers",
    "menu-court",
    "menu-plus",
    "ajouter",
    "camera-trois-pages",
    "ajouter-sante",
    "papier",
    "partager",
    "partager-lien",
    "mes-partages",
    "qui-a-acces",
    "signer-mandat",
    "arreter-mandat",
    # a relative as mandatary (tests/test_personal_mandate_browser.py, decision 0049)
    "proche-lien",
    "proche-invitation",
    "coffres-aides",
    "historique",
    "mes-dossiers",
    "fermer",
    "account-oublie",
    "account-code",
    "account-compte",
    "rendez-vous",
)

#: folder under docs/images/ -> the screenshots its guide shows
SHOTS = {
    "usager": USAGER,
    # guide-agent.md: the "Ouvrir un coffre" wizard (tests/test_opening_wizard_browser.py)
    "agent": (
        "wizard-1-recherche",
        "wizard-3-identifiant",
        "wizard-4-accord",
        "wizard-5-mandat",
        "wizard-7-termine",
        # GED letters matched from the browser (tests/test_ged_matching_browser.py)
        "ged-wizard-identifiant",
        "ged-wizard-accord",
        "ged-accueil-ouvertures",
        "ged-papiers-attente-accord",
        "ged-courriers-recherche",
        "ged-courriers-rattacher",
        # the agent's vault page, a mandate after the opening (tests/test_agent_vault_browser.py)
        "agent-dossier",
        "agent-proposer-recherche",
        "agent-proposer-mandat",
        "signer-mandat-partiel",
        "agent-dossier-consultation",
    ),
    # guide-archiviste.md: the indicators (tests/test_indicators.py), recomputing the papers
    # already stored (tests/test_records_manager_real.py)
    "archiviste": ("indicateurs", "recalcul-validite"),
}


def shrink(path):
    """The PNG bytes of ``path``: at most MAX_HEIGHT high, palette colours, optimised."""
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert("RGB")
        if image.height > MAX_HEIGHT:
            image = image.crop((0, 0, image.width, MAX_HEIGHT))
        for colours in (64, 32, 16):
            out = BytesIO()
            image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(
                out, format="PNG", optimize=True
            )
            if out.tell() <= MAX_BYTES:
                break
        return out.getvalue()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    shots = [(folder, name) for folder, names in SHOTS.items() for name in names]
    missing = [name for _folder, name in shots if not (SOURCE / f"{name}.png").exists()]
    if missing and not check:
        print(
            "Missing in tests/screenshots (run the browser tests first): " + ", ".join(missing),
            file=sys.stderr,
        )
        return 1
    problems = []
    for folder, name in shots:
        target = IMAGES / folder / f"{name}.png"
        if check:
            if not target.exists():
                problems.append(f"{target} is missing")
            elif target.stat().st_size > MAX_BYTES:
                problems.append(f"{target} is larger than {MAX_BYTES} bytes")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        data = shrink(SOURCE / f"{name}.png")
        target.write_bytes(data)
        print(f"{target.relative_to(DOCS.parent)}: {len(data) // 1024} KB")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
