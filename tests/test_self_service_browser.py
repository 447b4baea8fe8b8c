"""Opening one's own vault on a phone (360×740, real Chromium): readable, no serious axe
violation, and it ends on the person's papers (issue 8, decision 0022)."""

from ccas.vault.api import vaults
from plone import api
from public_skin import check_page
from public_skin import phone
from public_skin import skin
import pytest
import transaction


pytestmark = pytest.mark.slow


NEW_PASSWORD = "Mon-coffre-a-moi-7"


def test_a_person_opens_their_safe_on_a_phone(functional_portal, frozen):
    api.portal.set_registry_record("ccas.vault.settings.ccas_name", "CCAS de Démoville")
    api.portal.set_registry_record(
        "ccas.vault.settings.ccas_address", "1 place de la Mairie\n99000 Démoville"
    )
    api.portal.set_registry_record(
        "ccas.vault.settings.ccas_hours", "Du lundi au vendredi, 9 h - 12 h"
    )
    transaction.commit()
    with phone(functional_portal) as page:
        # Off (the default): come to the CCAS.
        page.goto(skin(functional_portal, "ouvrir"))
        assert page.locator("#come-to-ccas").is_visible()
        assert page.locator("#open-form").count() == 0
        check_page(page, "ouvrir-au-ccas")

        api.portal.set_registry_record("ccas.vault.settings.self_service_opening", True)
        transaction.commit()
        page.goto(skin(functional_portal, "connexion"))
        check_page(page, "connexion-ouvrir")
        page.click("#open-link")
        page.wait_for_load_state()
        assert page.url.endswith("/mon-coffre/ouvrir")
        check_page(page, "ouvrir")

        # Sent empty: one French sentence next to each field, the focus stays usable.
        page.click("#open-safe")
        page.wait_for_load_state()
        assert page.locator("#last_name-error").inner_text() == "Écrivez votre nom."
        assert page.locator("#agree-error").is_visible()
        check_page(page, "ouvrir-erreur")

        page.fill("#last_name", "Diallo")
        page.fill("#first_name", "Bruno")
        page.fill("#birth", "03/02/1975")
        page.fill("#login", "")
        page.fill("#new_password", NEW_PASSWORD)
        page.fill("#new_password_again", NEW_PASSWORD)
        page.check("#agree")
        page.click("#open-safe")
        page.wait_for_load_state()
        # The login is suggested: the person sees it, then confirms.
        assert page.locator("#login").input_value() == "bdiallo"
        check_page(page, "ouvrir-identifiant")
        page.fill("#new_password", NEW_PASSWORD)
        page.fill("#new_password_again", NEW_PASSWORD)
        page.click("#open-safe")
        page.wait_for_load_state()
        assert page.url.endswith("/mon-coffre/papiers"), page.url
        assert "Votre identifiant est bdiallo" in page.content()
        check_page(page, "ouvrir-fait")

    transaction.begin()
    vault = vaults.vault_of("bdiallo")
    assert api.content.get_state(vault) == "open"
    assert vault.consents[-1]["method"] == "electronic"
