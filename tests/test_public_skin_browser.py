"""The beneficiary's skin in a real Chromium on a 360×740 phone (DESIGN §6, second journey).

A person logs in, takes two photos of a payslip (one PDF), sees it in "Mes papiers" with
its expiry badge, opens it and prints it.  Every page is checked by axe-core (0 violations
of impact serious or critical), fits the screen, and is saved in tests/screenshots/.
The sharing part of the journey is tested with the "Mes partages" pages.
"""

from datetime import date
from io import BytesIO
from public_skin import browser_login
from public_skin import check_page
from public_skin import phone
from public_skin import screenshot
from public_skin import skin
from pypdf import PdfReader
from test_watermark import multi_page_pdf
from test_watermark import photo
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import transaction


pytestmark = pytest.mark.slow


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    make_user("staff")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], document_type="cni", title="Ma carte d'identité")
    deposit_as(
        "jdupont",
        vault["partage"],
        document_type="attestation-caf",
        title="Attestation CAF",
        valid_until=date(2026, 10, 1),
    )
    transaction.commit()
    return vault


def tab_to(page, selector, limit=40):
    """Press Tab until ``selector`` has the focus (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus with Tab")


def choose_with_keyboard(page):
    """Open the focused file input's chooser with the keyboard (Space, else Enter)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for key in ("Space", "Enter", "Space"):
        try:
            with page.expect_file_chooser(timeout=10000) as chooser:
                page.keyboard.press(key)
            return chooser.value
        except PlaywrightTimeout:
            continue
    raise AssertionError("the file chooser never opened from the keyboard")


def photo_files(tmp_path):
    files = []
    for number, color in ((1, "navy"), (2, "maroon")):
        path = tmp_path / f"page{number}.jpg"
        path.write_bytes(photo(color, size=(600, 800)))
        files.append(str(path))
    return files


def test_a_person_on_a_phone_adds_a_payslip_from_two_photos_and_prints_it(
    vault, functional_portal, tmp_path
):
    with phone(functional_portal) as page:
        # Anonymous: sent to the login page, which is checked as it is.
        page.goto(skin(functional_portal, "papiers"))
        assert "/connexion" in page.url
        check_page(page, "connexion")
        # A wrong password: a French sentence next to the field (checked by axe too).
        page.fill("#login", "jdupont")
        page.fill("#password", "pas-le-bon")
        page.click("#login-form button[type=submit]")
        error = page.locator("#password-error")
        assert "Vérifiez" in error.inner_text()
        check_page(page, "connexion-erreur")
        # Keyboard only: Tab to the fields, type, Enter.
        page.goto(skin(functional_portal, "connexion"))
        tab_to(page, "#login")
        page.keyboard.type("jdupont")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url("**/mon-coffre/papiers")
        assert "Ma carte d'identité" in page.content()
        check_page(page, "mes-papiers")

        # Add a paper, keyboard only: the type, the date, two photos, send.
        tab_to(page, "a.btn-main")
        page.keyboard.press("Enter")
        page.wait_for_url("**/mon-coffre/ajouter")
        check_page(page, "ajouter")
        tab_to(page, "#document_type")
        page.keyboard.type("Bulletin de salaire")
        assert page.input_value("#document_type") == "bulletin-salaire"
        page.fill("#issued", "2026-09-15")  # the date picker's key order follows the locale
        tab_to(page, "#photos")
        choose_with_keyboard(page).set_files(photo_files(tmp_path))
        # The photos are shown before sending.
        page.locator("#photos-preview img").nth(1).wait_for()  # no eval: the skin's CSP
        assert page.locator("#photos-count").inner_text().startswith("2")
        check_page(page, "ajouter-apercu-photos")
        tab_to(page, "#add-form button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url("**/mon-coffre/papiers?ajoute=*")
        card = page.locator(".card", has_text="Bulletin de salaire")
        assert card.count() == 1
        assert "expire bientôt" in card.inner_text()
        assert "Valable jusqu'au 15/12/2026" in card.inner_text()
        assert "expiré" in page.locator(".card", has_text="Attestation CAF").inner_text()
        check_page(page, "mes-papiers-ajoute")

        # One paper: its preview, its buttons, print it.
        card.locator("a").click()
        page.wait_for_url("**/mon-coffre/papier/*")
        page.locator("img.preview").wait_for()  # no wait_for_function: the CSP forbids eval
        for _ in range(300):
            if page.evaluate("() => document.querySelector('img.preview').naturalWidth > 0"):
                break
            page.wait_for_timeout(100)
        uid = page.url.rsplit("/", 1)[-1]
        share = page.locator("#action-share")
        assert share.get_attribute("href") == skin(functional_portal, "partager", uids=uid)
        assert "Partager" in share.inner_text()
        check_page(page, "papier")
        print_url = page.locator("#action-print").get_attribute("href")
        printed = page.request.get(print_url)
        assert printed.headers["content-type"] == "application/pdf"
        assert len(PdfReader(BytesIO(printed.body())).pages) == 2
        page.reload()
        history = page.locator("#paper-history").inner_text()
        assert "Impression" in history and "Dépôt" in history and "Aperçu" in history

        # Readable at 320 px too.
        page.set_viewport_size({"width": 320, "height": 640})
        for name in ("papiers", "ajouter", f"papier/{uid}", "connexion"):
            page.goto(skin(functional_portal, name))
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, name
        page.set_viewport_size({"width": 360, "height": 740})

        # A refused file: the French sentence is next to the field; nothing lost.
        page.goto(skin(functional_portal, "ajouter"))
        page.select_option("#document_type", "rib")
        page.fill("#title", "Mon RIB")
        bad = tmp_path / "rib.pdf"
        bad.write_bytes(b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00")
        page.set_input_files("#file", str(bad))
        page.click("#add-form button[type=submit]")
        page.wait_for_selector("#file-error")
        assert page.input_value("#title") == "Mon RIB"
        assert page.input_value("#document_type") == "rib"
        check_page(page, "ajouter-erreur")

        # English through the language selector.
        page.goto(skin(functional_portal, "papiers"))
        page.click("a[hreflang=en]")
        page.wait_for_url("**/mon-coffre/papiers")
        assert page.locator("h1").inner_text() == "My papers"
        check_page(page, "mes-papiers-en")
        page.click("a[hreflang=fr]")
        page.wait_for_url("**/mon-coffre/papiers")
        assert page.locator("h1").inner_text() == "Mes papiers"

        # Log out.
        page.locator("nav.menu summary").click()  # "Plus"
        page.locator("nav.menu a", has_text="Me déconnecter").click()
        page.wait_for_url("**/mon-coffre/connexion?bye=1")
        check_page(page, "deconnexion")


def test_staff_on_the_skin_get_a_plain_refusal(vault, functional_portal):
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "staff")
        page.goto(skin(functional_portal, "papiers"))
        assert "pour les personnes qui ont un coffre" in page.content()
        check_page(page, "sans-coffre")
        screenshot(page, "sans-coffre")


def test_a_health_paper_asks_for_a_confirmation(vault, functional_portal, tmp_path):
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "ajouter"))
        page.select_option("#document_type", "document-sante")
        path = tmp_path / "ordonnance.pdf"
        path.write_bytes(multi_page_pdf(1))
        page.set_input_files("#file", str(path))
        page.click("#add-form button[type=submit]")
        page.wait_for_selector("#health-error")
        check_page(page, "ajouter-sante")
        page.check("input[name=health_confirmed]")
        page.set_input_files("#file", str(path))
        page.click("#add-form button[type=submit]")
        page.wait_for_url("**/mon-coffre/papiers?ajoute=*")
        assert page.locator(".card", has_text="document de santé").count() == 1
