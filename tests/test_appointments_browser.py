"""``/mon-coffre/rendez-vous`` in a real Chromium on a 360×740 phone: the person adds an
appointment, corrects a mistake, cancels it; every state is checked by axe-core (no serious
or critical violation) and fits the screen (decision 0020)."""

from public_skin import browser_login
from public_skin import check_page
from public_skin import phone
from public_skin import skin
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
import pytest
import transaction


pytestmark = pytest.mark.slow


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


def test_a_person_adds_and_cancels_an_appointment_on_a_phone(vault, functional_portal):
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "rendez-vous"))
        assert page.locator("h1").inner_text() == "Mes rendez-vous"
        # under "Plus" (issue 20: the menu's first screen keeps three entries)
        current = page.locator("nav.menu [aria-current=page]").text_content()
        assert " ".join(current.split()) == "Mes rendez-vous"
        assert "Vous n'avez pas de rendez-vous à venir." in page.content()
        check_page(page, "rendez-vous")

        # A forgotten time: a French sentence next to the field, the rest kept, the focus on it.
        page.fill("#day", "2026-11-24")
        page.fill("#place", "CCAS, 3 rue de la Mairie")
        page.fill("#purpose", "Mon dossier de logement")
        page.click("#appointment-submit")
        page.wait_for_load_state()
        assert page.locator("#time-error").inner_text() == "Écrivez l'heure."
        assert page.input_value("#place") == "CCAS, 3 rue de la Mairie"
        assert page.evaluate("document.activeElement.id") == "time"
        check_page(page, "rendez-vous-erreur")

        page.fill("#time", "14:30")
        page.click("#appointment-submit")
        page.wait_for_url("**/mon-coffre/rendez-vous?fait=ajoute")
        card = page.locator(".appointment")
        assert card.count() == 1
        assert "24 novembre 2026 à 14 h 30" in card.inner_text()
        assert "CCAS, 3 rue de la Mairie" in card.inner_text()
        check_page(page, "rendez-vous-ajoute")

        card.locator("button[name=cancel]").click()
        page.wait_for_url("**/mon-coffre/rendez-vous?fait=annule")
        assert page.locator(".appointment").count() == 0
        assert "Annulé" in page.locator(".past-appointments").inner_text()
        check_page(page, "rendez-vous-annule")
