"""The sharing pages: @@partager, @@mes-partages and the recipient's @@lien (HTTP and Chromium)."""

from ccas.vault.history import api as history
from ccas.vault.sharing import links
from datetime import datetime
from io import BytesIO
from plone import api
from pypdf import PdfReader
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from test_watermark import multi_page_pdf
from test_watermark import photo
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import logging
import pytest
import re
import requests
import transaction


WATERMARK = "Copie transmise à CAF de Démoville le 23/11/2026"


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    make_agent("partageur")
    make_agent("agent")
    make_user("manager", ["Manager"])
    api.portal.set_registry_record("ccas.vault.settings.city_name", "Démoville")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Bulletin", data=multi_page_pdf(3))
    deposit_as(
        "jdupont",
        vault["partage"],
        title="Photo",
        document_type="cni",
        data=photo(),
        filename="photo.jpg",
    )
    deposit_as("jdupont", vault["prive"], title="Secret", data=multi_page_pdf(1))
    active_mandate(vault, agents=("partageur",), scopes=("share",))
    transaction.commit()
    return vault


def paper(vault, title):
    for space in ("partage", "prive"):
        for doc in vault[space].objectValues():
            if doc.Title() == title:
                return doc
    raise KeyError(title)


def make_link(vault, titles=("Bulletin",), with_code=False, duration="7d"):
    with acting_as("jdupont"):
        link, token, code = links.create_link(
            vault, [paper(vault, t) for t in titles], "CAF de Démoville", duration, with_code
        )
    transaction.commit()
    return link, token, code


def lien(portal, **form):
    return requests.post(f"{portal.absolute_url()}/@@lien", data=form, timeout=60)


def assert_private_headers(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


# --- the recipient's page ----------------------------------------------------------------


def test_the_public_page_moves_the_fragment_into_a_post(vault, functional_portal):
    response = requests.get(f"{functional_portal.absolute_url()}/@@lien", timeout=60)
    assert response.status_code == 200
    assert_private_headers(response)
    assert "location.hash" in response.text
    assert 'name="token"' in response.text  # the field to paste the link without JavaScript
    assert "Traceback" not in response.text


def test_the_recipient_downloads_a_watermarked_copy_of_every_page(vault, functional_portal, caplog):
    caplog.set_level(logging.DEBUG)
    link, token, _ = make_link(vault)
    original = paper(vault, "Bulletin").file.data
    page = lien(functional_portal, token=token)
    assert page.status_code == 200
    assert_private_headers(page)
    assert "Bulletin" in page.text and "Secret" not in page.text
    uid = paper(vault, "Bulletin").UID()
    copy = lien(functional_portal, token=token, download=uid)
    assert copy.status_code == 200
    assert_private_headers(copy)
    assert copy.headers["Content-Type"] == "application/pdf"
    assert copy.content != original
    pages = PdfReader(BytesIO(copy.content)).pages
    assert len(pages) == 3
    assert all(WATERMARK in page.extract_text() for page in pages)
    stored = fresh(paper(vault, "Bulletin")).file.data
    assert stored == original
    assert all(WATERMARK not in p.extract_text() for p in PdfReader(BytesIO(stored)).pages)
    link = fresh(link)
    (opening,) = link.openings
    assert opening["what"] == [f"Bulletin ({paper(vault, 'Bulletin').getId()})"]
    opened = [e for e in history.entries(fresh(vault)) if e.action == "share_opened"]
    assert len(opened) == 1
    assert token not in history.export_json(fresh(vault))
    assert token not in caplog.text


def test_several_papers_come_as_one_bundle(vault, functional_portal):
    _, token, _ = make_link(vault, titles=("Bulletin", "Photo"))
    bundle = lien(functional_portal, token=token, download="all")
    assert bundle.status_code == 200
    assert bundle.headers["Content-Type"] == "application/pdf"
    pages = PdfReader(BytesIO(bundle.content)).pages
    assert len(pages) == 4  # 3 pages + the photo
    assert all(WATERMARK in page.extract_text() for page in pages)
    single = lien(functional_portal, token=token, download=paper(vault, "Photo").UID())
    assert single.headers["Content-Type"] == "image/jpeg"


def test_the_access_code_is_asked_then_locks_after_five_errors(vault, functional_portal):
    _, token, code = make_link(vault, with_code=True)
    asked = lien(functional_portal, token=token)
    assert asked.status_code == 200 and 'name="code"' in asked.text
    assert "Bulletin" not in asked.text
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert lien(functional_portal, token=token, code=wrong).status_code == 403
    locked = lien(functional_portal, token=token, code=wrong)
    assert locked.status_code == 429
    assert "bloqué" in locked.text and "Traceback" not in locked.text
    assert lien(functional_portal, token=token, code=code).status_code == 429
    assert [e.action for e in history.entries(fresh(vault))].count("share_locked") == 1


def test_a_right_code_opens_and_downloads(vault, functional_portal):
    _, token, code = make_link(vault, with_code=True)
    page = lien(functional_portal, token=token, code=code)
    assert "Bulletin" in page.text
    uid = paper(vault, "Bulletin").UID()
    refused = lien(functional_portal, token=token, download=uid)
    assert not refused.content.startswith(b"%PDF")  # no code, no copy
    copy = lien(functional_portal, token=token, code=code, download=uid)
    assert copy.content.startswith(b"%PDF")


def test_dead_links_answer_a_clear_french_page(vault, functional_portal, frozen):
    revoked, revoked_token, _ = make_link(vault)
    with acting_as("jdupont"):
        links.revoke(revoked)
    transaction.commit()
    _, expired_token, _ = make_link(vault, duration="3h")
    frozen(datetime(2026, 11, 23, 13, 0))
    for token, status, words in (
        (revoked_token, 410, "arrêté"),
        (expired_token, 410, "plus valable"),
        ("inconnu-" + "x" * 40, 404, "n'existe pas"),
    ):
        response = lien(functional_portal, token=token)
        assert response.status_code == status
        assert words in response.text
        assert "Traceback" not in response.text
        assert_private_headers(response)
        nothing = lien(functional_portal, token=token, download="all")
        assert not nothing.content.startswith(b"%PDF")


# --- the owner's pages ---------------------------------------------------------------------


def form_token(page):
    return re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)


def test_the_owner_shares_from_the_form_and_sees_the_link_once(vault):
    auth = ("jdupont", PASSWORD)
    url = f"{vault.absolute_url()}/@@partager"
    form = requests.get(url, auth=auth, timeout=60)
    assert form.status_code == 200
    assert "Secret" in form.text and "Bulletin" in form.text
    result = requests.post(
        url,
        data={
            "uids:list": [paper(vault, "Bulletin").UID(), paper(vault, "Secret").UID()],
            "recipient": "Mme Durand",
            "duration": "1d",
            "with_code": "1",
            "form.submitted": "1",
            "_authenticator": form_token(form),
        },
        auth=auth,
        timeout=60,
    )
    assert result.status_code == 200, result.text[:500]
    token = re.search(r"@@lien#([A-Za-z0-9_-]{43,})", result.text).group(1)
    code = re.search(r'id="share-code">(\d{6})<', result.text).group(1)
    page = lien(vault.aq_parent.aq_parent, token=token, code=code)
    assert "Secret" in page.text and "Bulletin" in page.text
    shares = requests.get(f"{vault.absolute_url()}/@@mes-partages", auth=auth, timeout=60)
    assert "Mme Durand" in shares.text
    assert token not in shares.text and code not in shares.text


def test_a_sharer_uses_the_form_of_the_shared_space_only(vault):
    auth = ("partageur", PASSWORD)
    url = f"{vault['partage'].absolute_url()}/@@partager"
    form = requests.get(url, auth=auth, timeout=60)
    assert form.status_code == 200
    assert "Bulletin" in form.text and "Secret" not in form.text
    refused = requests.post(
        url,
        data={
            "uids:list": [paper(vault, "Secret").UID()],
            "recipient": "CAF",
            "duration": "3h",
            "form.submitted": "1",
            "_authenticator": form_token(form),
        },
        auth=auth,
        timeout=60,
        allow_redirects=False,
    )
    assert refused.status_code in (302, 401, 403)
    assert links.links_of(fresh(vault)) == []
    own = requests.get(
        f"{vault.absolute_url()}/@@partager", auth=auth, timeout=60, allow_redirects=False
    )
    assert own.status_code in (302, 401, 403)


def test_the_owner_sees_openings_and_revokes(vault, functional_portal):
    link, token, _ = make_link(vault)
    lien(functional_portal, token=token, download=paper(vault, "Bulletin").UID())
    auth = ("jdupont", PASSWORD)
    url = f"{vault.absolute_url()}/@@mes-partages"
    page = requests.get(url, auth=auth, timeout=60)
    assert "CAF de Démoville" in page.text
    assert "23/11/2026 10:00" in page.text and "Bulletin" in page.text
    stopped = requests.post(
        url,
        data={"link": link.getId(), "revoke": "1", "_authenticator": form_token(page)},
        auth=auth,
        timeout=60,
        allow_redirects=False,
    )
    assert stopped.status_code == 303
    assert api.content.get_state(fresh(link)) == "revoked"
    assert lien(functional_portal, token=token).status_code == 410


@pytest.mark.parametrize("login", ["agent", "manager", None])
def test_others_see_no_sharing_page(vault, login):
    make_link(vault)
    auth = (login, PASSWORD) if login else None
    for url in (
        f"{vault.absolute_url()}/@@partager",
        f"{vault.absolute_url()}/@@mes-partages",
        f"{vault['partage'].absolute_url()}/@@partager",
        f"{vault['partage'].absolute_url()}/@@mes-partages",
    ):
        response = requests.get(url, auth=auth, timeout=60, allow_redirects=False)
        assert response.status_code in (302, 401, 403), url
        assert "CAF de Démoville" not in response.text


# --- a real browser ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_recipient_opens_a_link_with_a_code_on_a_small_phone(vault, functional_portal, tmp_path):
    from playwright.sync_api import sync_playwright

    _, token, code = make_link(vault, titles=("Bulletin", "Photo"), with_code=True)
    url = f"{functional_portal.absolute_url()}/@@lien#{token}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 320, "height": 640})
            page = context.new_page()
            requested = []
            page.on("request", lambda request: requested.append(request.url))
            page.goto(url)
            page.wait_for_selector("input[name='code']")
            assert token not in page.url  # the fragment was taken out of the address
            page.fill("input[name='code']", code)
            page.click("#code-form button")
            page.wait_for_selector("#papers")
            assert page.locator("#papers li").count() == 2
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320
            with page.expect_download() as download_info:
                page.click("button[value='all']")
            path = tmp_path / "copie.pdf"
            download_info.value.save_as(path)
            pages = PdfReader(str(path)).pages
            assert len(pages) == 4
            assert all(WATERMARK in page.extract_text() for page in pages)
            assert all(token not in address for address in requested)
        finally:
            browser.close()


def test_without_javascript_the_whole_link_can_be_pasted(vault, functional_portal):
    _, token, _ = make_link(vault)
    page = lien(functional_portal, token=f"{functional_portal.absolute_url()}/@@lien#{token}")
    assert page.status_code == 200
    assert "Bulletin" in page.text
