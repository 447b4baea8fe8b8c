""" "Ouvrir un coffre" in a real Chromium on a desktop screen: one full journey, timed in forms.

The agent (HTTP basic auth, like the other Classic UI browser tests) opens a
vault with a person who has only a mobile number: at most 12 form submissions
from the search to the welcome sheet, no serious axe-core violation on any
step, a screenshot of each in ``tests/screenshots/wizard-*.png``.
"""

from ccas.vault.api import mandates
from io import BytesIO
from plone import api
from public_skin import screenshot
from public_skin import SERIOUS
from pypdf import PdfReader
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from vaults import make_agent
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import pytest
import transaction


DESKTOP = {"width": 1280, "height": 900}
MAX_SUBMISSIONS = 12
PERSON_PASSWORD = "Soleil-de-mai-2026"


@pytest.fixture
def site(functional_portal):
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    transaction.commit()
    return functional_portal


def basic(login):
    token = base64.b64encode(f"{login}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def serious_violations(page):
    """axe-core's serious or critical violations in the wizard's part of the page.

    Plone's own toolbar, breadcrumbs and footer (Barceloneta) are not the wizard's:
    they are left out of the check.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="#opening-wizard")
    return [
        f"{item['id']} ({item['impact']}): "
        + "; ".join(node["target"][0] if node.get("target") else "?" for node in item["nodes"])
        for item in results.response["violations"]
        if item.get("impact") in SERIOUS
    ]


def step(page, name, number, shot):
    """The page is step ``number`` (``name``): screenshot, no horizontal scroll, axe clean."""
    assert page.locator("#opening-wizard").get_attribute("data-step") == name, page.url
    assert f"Étape {number} sur 7" in page.inner_text("#wizard-progress")
    screenshot(page, f"wizard-{shot}")
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    assert serious_violations(page) == [], shot


TEMPLATE_TITLES = {
    "modele-notice": "Notice d'information",
    "modele-accord": "Je, soussigné(e), donne mon accord",
    "modele-charte": "Charte du coffre-fort numérique",
    "modele-mandat": "Mandat d'accompagnement administratif",
}


def pdf_text(data):
    assert data.startswith(b"%PDF")
    pages = PdfReader(BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


@pytest.mark.slow
def test_an_agent_opens_a_vault_in_at_most_12_forms(site, tmp_path):
    from playwright.sync_api import sync_playwright

    scan = tmp_path / "carte-identite.pdf"
    scan.write_bytes(pdf_bytes("Carte d'identité"))
    submissions = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=DESKTOP, locale="fr-FR", extra_http_headers=basic("accueil")
            )
            page = context.new_page()
            page.set_default_timeout(30000)
            page.on(
                "request",
                lambda r: (
                    submissions.append(r.url)
                    if r.method == "POST" and r.resource_type == "document"
                    else None
                ),
            )
            answer = page.goto(f"{site.absolute_url()}/@@ouvrir-un-coffre")
            assert answer.status == 200, page.inner_text("body")[:1000]
            step(page, "search", 1, "1-recherche")

            page.fill("#last_name", "Martin")
            page.fill("#first_name", "Lucie")
            page.fill("#birth_date", "1975-03-08")
            page.click("#search")
            step(page, "identity", 2, "2-identite")
            assert "Aucun coffre" in page.inner_text("#wizard-notice")

            page.fill("#phone", "06 12 34 56 78")
            page.get_by_label("Par SMS").check()
            page.click("#next")
            step(page, "account", 3, "3-identifiant")
            assert page.input_value("#login") == "lmartin"

            # the person types two different passwords: the error is shown, nothing is kept
            page.fill("#password", PERSON_PASSWORD)
            page.fill("#password2", "Autre-chose-2026")
            page.click("#open-vault")
            step(page, "account", 3, "3-identifiant-erreur")
            assert page.get_attribute("#password2", "aria-invalid") == "true"
            assert page.evaluate("document.activeElement.id") == "password2"
            assert page.input_value("#password") == ""
            assert page.input_value("#login") == "lmartin"
            page.fill("#password", PERSON_PASSWORD)
            page.fill("#password2", PERSON_PASSWORD)
            page.click("#open-vault")
            step(page, "consent", 4, "4-accord")

            page.fill("#consent_password", PERSON_PASSWORD)
            page.check("#receive_ccas_letters")
            page.click("#agree")
            step(page, "mandate", 5, "5-mandat")

            page.check("#scope-deposit")
            page.fill("#mandate_password", PERSON_PASSWORD)
            page.click("#make-mandate")
            step(page, "deposit", 6, "6-depot")
            file_input = page.locator("#file")
            assert file_input.get_attribute("accept") == "image/*,application/pdf"
            assert file_input.get_attribute("capture") == "environment"

            page.select_option("#document_type", "cni")
            file_input.set_input_files(str(scan))
            page.click("#deposit")
            step(page, "done", 7, "7-termine")
            assert "lmartin" in page.inner_text("#summary")
            sheet_url = page.get_attribute("#welcome-sheet", "href")
            assert PERSON_PASSWORD not in page.content()

            assert len(submissions) <= MAX_SUBMISSIONS, submissions
            assert len(submissions) == 7  # six steps and the one mistake

            # The welcome sheet the agent prints: how to get in, never the password.
            sheet = context.request.get(sheet_url)
            assert sheet.status == 200
            assert sheet.headers["content-type"].startswith("application/pdf")
            text = pdf_text(sheet.body())
            assert "lmartin" in text and "/mon-coffre" in text
            assert PERSON_PASSWORD not in text

            # The blank sheets the CCAS hands out, from the intranet page that lists them.
            page.goto(f"{site.absolute_url()}/@@modeles-a-imprimer")
            for name, title in TEMPLATE_TITLES.items():
                link = page.locator(f"a[href$='@@{name}']").first
                answer = context.request.get(link.get_attribute("href"))
                assert answer.headers["content-type"].startswith("application/pdf"), name
                assert title in pdf_text(answer.body()), name
        finally:
            browser.close()

    transaction.begin()
    from ccas.vault.api.vaults import vault_of

    vault = vault_of("lmartin")
    assert sheet_url == f"{vault.absolute_url()}/@@feuille-accueil"
    assert api.content.get_state(vault) == "open"
    assert vault.receive_ccas_letters is True
    (mandate,) = mandates.mandates_of(vault)
    assert api.content.get_state(mandate) == "active"
    (paper,) = vault["partage"].objectValues()
    assert paper.document_type == "cni"
