"""The person's journeys of DESIGN §6 on a phone: Chromium at 360×740, axe-core on every page.

* shares a paper with the CAF for 7 days with an access code (keyboard only), sees
  the link opened in the history, stops it;
* signs a mandate for a social worker (consult + deposit only); the worker sees
  the shared space, not the private one, cannot download originals; the mandate
  ends and the worker loses access the same minute (checked through HTTP);
* downloads the export, closes the vault; a week later nothing of it remains but
  the anonymous tombstone.

Screenshots: ``tests/screenshots/<page>.png`` (see ``public_skin.check_page``).
"""

from ccas.vault.api import closing
from ccas.vault.api import mandates
from ccas.vault.api.vaults import vault_of
from ccas.vault.browser.public.owner_pages import day_words
from ccas.vault.security import as_system
from ccas.vault.sharing import links
from ccas.vault.tombstones import list_tombstones
from datetime import date
from datetime import datetime
from datetime import timedelta
from plone import api
from public_skin import browser_login
from public_skin import check_page
from public_skin import phone
from public_skin import skin
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction
import zipfile


pytestmark = pytest.mark.slow


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    worker = make_agent("travailleur")
    worker.setMemberProperties(mapping={"fullname": "Claire Bernard"})
    api.portal.set_registry_record("ccas.vault.settings.city_name", "Démoville")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Bulletin de salaire", document_type="cni")
    deposit_as("jdupont", vault["prive"], title="Lettre privée")
    transaction.commit()
    return vault


def paper(vault, title):
    for space in ("partage", "prive"):
        for doc in vault[space].objectValues():
            if doc.Title() == title:
                return doc
    raise KeyError(title)


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()), None)


def tab_to(page, selector, limit=60):
    """Press Tab until the focus is on ``selector`` (keyboard only); fail after ``limit``."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_share_with_the_caf_for_7_days_with_a_code_then_stop_it(vault, functional_portal):
    uid = paper(vault, "Bulletin de salaire").UID()
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        # The paper page's "Partager" button leads here, the paper ticked.
        page.goto(skin(functional_portal, "partager", uids=uid))
        assert page.is_checked(f"input[value='{uid}']")
        check_page(page, "partager")

        # An empty recipient: a sentence next to the field, the focus moved by keyboard only.
        tab_to(page, "#share-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("#recipient-error")
        assert page.inner_text("#recipient-error") == (
            "Écrivez qui reçoit le lien. Par exemple : CAF de Démoville."
        )
        check_page(page, "partager-erreur")

        # Keyboard only: the recipient, 7 days (already chosen), a code, then create.
        assert page.is_checked(f"input[value='{uid}']")
        tab_to(page, "#recipient")
        page.keyboard.type("CAF de Démoville")
        tab_to(page, "input[name=duration]:checked")
        assert page.evaluate("document.activeElement.value") == "7d"
        tab_to(page, "#with_code")
        page.keyboard.press("Space")
        assert page.is_checked("#with_code")
        tab_to(page, "#share-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("#share-code")
        url = page.inner_text("#share-url")
        code = page.inner_text("#share-code")
        assert "/@@lien#" in url and len(code) == 6 and code.isdigit()
        assert "30 novembre 2026 à 10 h 00" in page.inner_text("main")
        tab_to(page, "#copy-link")
        page.keyboard.press("Enter")
        page.wait_for_selector("#copied-share-url:not([hidden])")
        check_page(page, "partager-lien")

        # The CAF opens the link with the code and downloads the copy.
        token = url.rsplit("#", 1)[1]
        opened = requests.post(
            f"{functional_portal.absolute_url()}/@@lien",
            data={"token": token, "code": code, "download": uid},
            timeout=60,
        )
        assert opened.status_code == 200
        assert opened.headers["Content-Type"] == "application/pdf"

        page.goto(skin(functional_portal, "historique"))
        history = page.inner_text("#history").replace("\xa0", " ")
        assert (
            "CAF de Démoville a ouvert votre lien. "
            "Cette personne a téléchargé « Bulletin de salaire »." in history
        )
        assert "Vous avez donné un lien à CAF de Démoville." in history
        check_page(page, "historique")

        page.goto(skin(functional_portal, "partages"))
        assert "copie téléchargée" in page.inner_text("main")
        check_page(page, "mes-partages")
        (link,) = links.links_of(fresh(vault))
        page.click(f"#stop-{link.getId()}")
        page.wait_for_selector("p.done")
        assert page.inner_text("p.done") == "Le lien est arrêté. Il ne marche plus."
        check_page(page, "mes-partages-arrete")

    assert api.content.get_state(fresh(link)) == "revoked"
    gone = requests.post(
        f"{functional_portal.absolute_url()}/@@lien",
        data={"token": token, "code": code},
        timeout=60,
    )
    assert gone.status_code == 410


def worker_get(url):
    return requests.get(
        url,
        auth=("travailleur", PASSWORD),
        headers={"Accept": "application/json"},
        timeout=60,
        allow_redirects=False,
    )


def test_sign_a_mandate_for_a_social_worker_who_loses_access_the_same_minute(
    vault, functional_portal, frozen
):
    with acting_as("jdupont"):  # prepared at the desk with the worker
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=["consult", "deposit"], end=date(2027, 5, 23)
        )
        mandates.submit(mandate)
    transaction.commit()
    shared_paper = paper(vault, "Bulletin de salaire").absolute_url()
    private_paper = paper(vault, "Lettre privée").absolute_url()
    assert worker_get(f"{shared_paper}/@@preview").status_code != 200

    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "acces"))
        check_page(page, "qui-a-acces-a-signer")
        page.click(f"#sign-{mandate.getId()}")
        page.wait_for_selector("#sign-form")
        text = page.inner_text("main")
        assert "Claire Bernard — CCAS" in text
        assert "Vous aider à obtenir vos droits." in text
        assert "Jusqu'au : 23 mai 2027" in text
        allowed = page.locator(".scope.allowed").all_inner_texts()
        refused = page.locator(".scope.refused").all_inner_texts()
        assert [t.split(":", 1)[1].strip() for t in allowed] == [
            "Voir vos papiers partagés. Pas les télécharger.",
            "Ajouter des papiers dans votre espace partagé.",
        ]
        assert len(refused) == 3
        check_page(page, "signer-mandat")
        page.click("#sign-submit")  # the box is not ticked
        page.wait_for_selector("#agree-error")
        assert "Cochez la case" in page.inner_text("#agree-error")
        check_page(page, "signer-mandat-erreur")
        tab_to(page, "#agree")  # keyboard only: tick, then sign
        page.keyboard.press("Space")
        tab_to(page, "#sign-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("p.done")
        assert page.inner_text("p.done") == "Vous avez signé le mandat."

        # The worker signs through REST: the mandate is in force.
        signed = requests.post(
            f"{mandate.absolute_url()}/@mandate-sign",
            json={},
            auth=("travailleur", PASSWORD),
            headers={"Accept": "application/json"},
            timeout=60,
        )
        assert signed.status_code == 200, signed.text[:300]
        assert signed.json()["review_state"] == "active"
        page.reload()
        assert "En cours" in page.inner_text(f"#mandate-{mandate.getId()}")
        check_page(page, "qui-a-acces")

        # The worker: the shared space, not the private space, no original.
        assert worker_get(f"{shared_paper}/@@preview").status_code == 200
        assert worker_get(f"{shared_paper}/@@download").status_code in (302, 401, 403)
        assert worker_get(f"{private_paper}/@@preview").status_code in (302, 401, 403)
        assert worker_get(vault["prive"].absolute_url()).status_code in (302, 401, 403)

        # The last minute of the end day, then the first minute after: access stops at once.
        frozen(datetime(2027, 5, 23, 23, 59, 0))
        assert worker_get(f"{shared_paper}/@@preview").status_code == 200
        frozen(datetime(2027, 5, 24, 0, 0, 0))
        assert worker_get(f"{shared_paper}/@@preview").status_code in (302, 401, 403)
        transaction.begin()
        with as_system():
            assert mandates.expire_mandates(api.portal.get()) == 1
        transaction.commit()
        # six months later the skin's session is long over (idle timeout): log in again
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "acces"))
        card = page.inner_text(f"#mandate-{mandate.getId()}")
        assert "Terminé" in card
        check_page(page, "qui-a-acces-termine")


def test_stop_a_mandate_from_the_phone(vault, functional_portal):
    from vaults import active_mandate

    mandate = active_mandate(vault, agents=("travailleur",), scopes=("consult",))
    transaction.commit()
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "acces"))
        page.click(f"#stop-{mandate.getId()}")
        page.wait_for_selector("#stop-form")
        check_page(page, "arreter-mandat")
        page.click("#stop-submit")
        page.wait_for_selector("p.done")
        assert "Le mandat est arrêté." in page.inner_text("p.done")
    assert api.content.get_state(fresh(mandate)) == "revoked"


def test_my_files_on_a_phone(vault, functional_portal):
    from ccas.vault.checklists import list_checklists

    first = list_checklists()[0]
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "dossiers"))
        check_page(page, "mes-dossiers")
        page.click(f"#dossier-{first.id}")
        page.wait_for_selector("ul.items")
        assert page.inner_text("h1") == first.title_fr
        check_page(page, "dossier")


def test_the_pages_in_english_pass_axe_too(vault, functional_portal):
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(
            skin(functional_portal, "langue", code="en", came_from=skin(functional_portal, "acces"))
        )
        assert page.inner_text("h1") == "Who has access"
        for name in ("partager", "partages", "historique", "fermer"):
            page.goto(skin(functional_portal, name))
            assert page.get_attribute("html", "lang") == "en"
            check_page(page, f"en-{name}")


def test_close_the_vault_after_the_export_and_a_week_later_only_the_tombstone_remains(
    vault, functional_portal, frozen, tmp_path
):
    vault_id = vault.getId()
    with phone(functional_portal) as page:
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "fermer"))
        check_page(page, "fermer")
        # Closing before taking the papers: the page says what to do.
        page.check("#confirm")
        page.click("#close-submit")
        page.wait_for_selector("#export-error")
        assert "Téléchargez d'abord vos papiers." in page.inner_text("#export-error")
        check_page(page, "fermer-erreur")
        with page.expect_download() as download:
            page.click("#download-export")
        path = tmp_path / "export.zip"
        download.value.save_as(path)
        names = zipfile.ZipFile(path).namelist()
        assert "index.html" in names and "historique.json" in names
        assert len([name for name in names if name.startswith("papiers/")]) == 2
        page.goto(skin(functional_portal, "fermer"))
        assert "Vous avez téléchargé vos papiers le" in page.inner_text("main")
        tab_to(page, "#confirm")  # keyboard only: tick, then close
        page.keyboard.press("Space")
        tab_to(page, "#close-submit")
        page.keyboard.press("Enter")
        page.wait_for_selector("#closing-notice")
        due = closing.deletion_due(fresh(vault))  # the grace period: 7 days
        assert f"Votre coffre sera effacé le {day_words(due)}." in page.inner_text(
            "#closing-notice"
        )
        check_page(page, "fermer-demande")
    assert api.content.get_state(fresh(vault)) == "closing"
    requested = closing.closure_requested_at(fresh(vault))
    assert due - requested == timedelta(days=7)

    # A minute before the end of the grace period, nothing happens; a week later, the
    # clock deletes everything.
    with as_system():
        assert closing.close_due_vaults(now=due - timedelta(minutes=1)) == []
    transaction.commit()
    assert fresh(vault) is not None
    with as_system():
        assert len(closing.close_due_vaults(now=due)) == 1
    transaction.commit()
    transaction.begin()
    directory = api.portal.get()["coffres"]
    assert vault_id not in directory.objectIds()
    assert vault_of("jdupont") is None
    assert api.user.get(username="jdupont") is None
    catalog = api.portal.get_tool("portal_catalog")
    assert not catalog.unrestrictedSearchResults(path=f"/plone/coffres/{vault_id}")
    (kept,) = list_tombstones()
    assert kept["closed"] == due.date()
    assert kept["documents"] == 2
    assert "jdupont" not in repr(kept) and "Dupont" not in repr(kept)
    login = requests.post(
        skin(functional_portal, "connexion"),
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert login.status_code != 303


def test_every_page_fits_a_320_px_screen(vault, functional_portal):
    from ccas.vault.checklists import list_checklists

    with acting_as("jdupont"):
        mandate = mandates.create_mandate(vault, agents=["travailleur"], scopes=["consult"])
        mandates.submit(mandate)
        links.create_link(vault, [paper(vault, "Bulletin de salaire")], "CAF de Démoville", "1m")
    transaction.commit()
    names = {
        "partager": {},
        "partages": {},
        "acces": {},
        "acces/signer": {"mandate": mandate.getId()},
        "acces/retirer": {"mandate": mandate.getId()},
        "historique": {},
        "dossiers": {},
        f"dossiers/{list_checklists()[0].id}": {},
        "fermer": {},
    }
    with phone(functional_portal, viewport={"width": 320, "height": 640}) as page:
        browser_login(page, functional_portal, "jdupont")
        for name, query in names.items():
            page.goto(skin(functional_portal, name, **query))
            assert page.locator("h1").count() == 1, name
            check_page(page, "320-" + name.replace("/", "-"), max_width=320)
