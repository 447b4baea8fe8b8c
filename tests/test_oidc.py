"""Login with a public identity (OpenID Connect, e.g. FranceConnect), against a real provider.

The provider (``oidc_provider``) runs on the loopback and approves at once the
person it is told to. A person links their public identity once, logged in
with their password; then it opens their safe. An identity linked to nobody
opens nothing and creates nothing; the flow cannot be replayed or forged.
"""

from ccas.vault.history import api as history
from ccas.vault.oidc import setup
from oidc_provider import oidc_provider
from plone import api
from public_skin import browser_login
from public_skin import check_page
from public_skin import form_token
from public_skin import phone
from public_skin import skin
from public_skin import skin_session
from urllib.parse import parse_qs
from urllib.parse import urlsplit
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
import pytest
import re
import requests
import transaction


BUTTON = "Se connecter avec une identité publique"


@pytest.fixture(scope="module")
def provider():
    with oidc_provider() as provider:
        yield provider


@pytest.fixture
def site(functional_portal, provider):
    make_agent("accueil")
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    consent_as_owner(open_vault_as("accueil", "jdupont"))
    consent_as_owner(open_vault_as("accueil", "amartin", first="Alice", last="Martin"))
    setup.enable(provider.issuer, provider.client_id, provider.client_secret)
    transaction.commit()
    provider.sub = "fc-jdupont"
    provider.nonce_override = None
    return functional_portal


def plugin():
    transaction.begin()
    return setup.get_plugin()


def outcome(response):
    """The ``identite`` outcome the flow ended on, and the page it landed on."""
    parts = urlsplit(response.url)
    return parse_qs(parts.query).get("identite", [""])[0], parts.path.rsplit("/", 1)[-1]


def link(session, portal):
    """Press "Link my public identity" on the account page (the provider approves at once)."""
    page = session.get(skin(portal, "compte"), timeout=60)
    assert 'id="public-identity-link"' in page.text
    link = re.search(r'id="public-identity-link"\s+href="([^"]+)"', page.text).group(1)
    return session.get(link.replace("&amp;", "&"), timeout=60)


def login_with_identity(session, portal, came_from=""):
    page = session.get(skin(portal, "connexion"), timeout=60)
    assert BUTTON in page.text
    url = f"{setup.get_plugin().absolute_url()}/connexion"
    return session.get(url, params={"came_from": came_from}, timeout=60)


def skin_owner(session, portal):
    """The login shown on the account page, or ``None`` when the skin asks to log in."""
    page = session.get(skin(portal, "compte"), timeout=60, allow_redirects=True)
    if "/connexion" in page.url:
        return None
    return page


# --- off by default --------------------------------------------------------------------


def test_off_by_default(functional_portal):
    assert setup.get_plugin() is None
    page = requests.get(skin(functional_portal, "connexion"), timeout=60)
    assert page.status_code == 200 and BUTTON not in page.text
    assert "identite-publique" not in page.text


def test_installed_without_provider_shows_nothing(functional_portal):
    setup.install()
    transaction.commit()
    assert setup.get_plugin() is not None and setup.configured_plugin() is None
    assert BUTTON not in requests.get(skin(functional_portal, "connexion"), timeout=60).text


def test_the_profile_adds_the_plugin(functional_portal):
    api.portal.get_tool("portal_setup").runAllImportStepsFromProfile("profile-ccas.vault:oidc")
    assert setup.get_plugin() is not None


# --- the journey -------------------------------------------------------------------------


def test_link_then_log_in_with_the_public_identity(site, provider):
    session = skin_session(site, "jdupont")
    answer = link(session, site)
    assert answer.status_code == 200
    assert outcome(answer) == ("liee", "compte")
    assert "Votre identité publique est liée" in answer.text
    assert 'id="public-identity-unlink"' in answer.text
    assert plugin().user_of("fc-jdupont") == "jdupont"

    anonymous = requests.Session()
    answer = login_with_identity(anonymous, site)
    assert answer.status_code == 200 and answer.url.endswith("/mon-coffre/papiers"), answer.url
    assert skin_owner(anonymous, site) is not None
    actions = [entry.action for entry in history.entries(plugin_vault("jdupont"))]
    assert "public_identity_linked" in actions
    assert actions[-1] == "login"


def plugin_vault(login):
    from ccas.vault.api.vaults import vault_of

    transaction.begin()
    return vault_of(login)


def test_an_unknown_identity_opens_nothing_and_creates_nothing(site, provider):
    provider.sub = "fc-inconnu"
    users = len(api.user.get_users())
    session = requests.Session()
    answer = login_with_identity(session, site)
    assert outcome(answer) == ("inconnue", "connexion")
    assert "Cette identité publique n'ouvre aucun coffre" in answer.text.replace("&#x27;", "'")
    assert skin_owner(session, site) is None
    assert "__ac" not in session.cookies
    transaction.begin()
    assert len(api.user.get_users()) == users
    assert api.user.get(userid="fc-inconnu") is None


def test_another_account_cannot_take_a_linked_identity(site, provider):
    assert outcome(link(skin_session(site, "jdupont"), site))[0] == "liee"
    answer = link(skin_session(site, "amartin"), site)
    assert outcome(answer) == ("deja-liee", "compte")
    assert plugin().user_of("fc-jdupont") == "jdupont"
    assert plugin().sub_of("amartin") is None


def test_unlinked_identity_no_longer_opens_the_safe(site, provider):
    session = skin_session(site, "jdupont")
    link(session, site)
    page = session.get(skin(site, "compte"), timeout=60)
    url = f"{setup.get_plugin().absolute_url()}/delier"
    answer = session.post(url, data={"_authenticator": form_token(page.text)}, timeout=60)
    assert outcome(answer) == ("deliee", "compte")
    assert outcome(login_with_identity(requests.Session(), site))[0] == "inconnue"
    actions = [entry.action for entry in history.entries(plugin_vault("jdupont"))]
    assert "public_identity_unlinked" in actions


# --- what cannot be done -----------------------------------------------------------------


def test_linking_needs_a_logged_in_person_and_the_form_token(site, provider):
    url = f"{setup.get_plugin().absolute_url()}/lier"
    assert requests.get(url, timeout=60).status_code == 403
    session = skin_session(site, "jdupont")
    assert session.get(url, timeout=60).status_code == 403  # no form token
    forged = {"_authenticator": "forged"}
    assert session.get(url, params=forged, timeout=60).status_code == 403
    assert plugin().sub_of("jdupont") is None


def test_an_anonymous_link_attempt_ends_on_the_login_page(site, provider):
    # a token is only valid for the logged-in person; without one the view refuses
    answer = requests.get(f"{setup.get_plugin().absolute_url()}/lier", timeout=60)
    assert answer.status_code == 403
    assert plugin()._user_of_sub.get("fc-jdupont") is None


def test_a_forged_state_or_nonce_opens_nothing(site, provider):
    assert outcome(link(skin_session(site, "jdupont"), site))[0] == "liee"
    session = requests.Session()
    start = session.get(
        f"{setup.get_plugin().absolute_url()}/connexion", timeout=60, allow_redirects=False
    )
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=60)
    back = at_provider.headers["Location"].replace("state=", "state=forged")
    answer = session.get(back, timeout=60)
    assert outcome(answer)[0] == "echec" and skin_owner(session, site) is None
    # a code sent back without the browser session that asked for it
    start = session.get(
        f"{setup.get_plugin().absolute_url()}/connexion", timeout=60, allow_redirects=False
    )
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=60)
    stranger = requests.Session()
    assert outcome(stranger.get(at_provider.headers["Location"], timeout=60))[0] == "echec"
    assert skin_owner(stranger, site) is None
    # an ID token for another nonce
    provider.nonce_override = "rejoue"
    answer = login_with_identity(requests.Session(), site)
    assert outcome(answer)[0] == "echec"


def test_a_replayed_answer_opens_nothing(site, provider):
    assert outcome(link(skin_session(site, "jdupont"), site))[0] == "liee"
    session = requests.Session()
    start = session.get(
        f"{setup.get_plugin().absolute_url()}/connexion", timeout=60, allow_redirects=False
    )
    back = requests.get(start.headers["Location"], allow_redirects=False, timeout=60)
    first = session.get(back.headers["Location"], timeout=60)
    assert first.url.endswith("/papiers")
    again = requests.Session()
    again.cookies.update({"__ac_session": session.cookies.get("__ac_session", "")})
    assert outcome(again.get(back.headers["Location"], timeout=60))[0] == "echec"
    assert skin_owner(again, site) is None


@pytest.mark.parametrize("login", ["manager", "siteadmin", "accueil", "amartin"])
def test_nobody_else_takes_a_persons_identity(site, provider, login):
    """A Manager, a Site Administrator, an agent or another person, logged in with a valid
    form token, cannot link the identity of jdupont to themselves, nor open jdupont's safe."""
    from plone.protect.authenticator import createToken

    assert outcome(link(skin_session(site, "jdupont"), site))[0] == "liee"
    with api.env.adopt_user(username=login):
        token = createToken()
    session = skin_session(site, login)
    url = f"{setup.get_plugin().absolute_url()}/lier"
    answer = session.get(url, params={"_authenticator": token}, timeout=60)
    assert outcome(answer) == ("deja-liee", "compte")
    assert plugin().user_of("fc-jdupont") == "jdupont"
    assert plugin().sub_of(api.user.get(username=login).getId()) is None


def test_the_provider_down_is_said_in_french(site, provider):
    transaction.begin()
    setup.get_plugin().manage_changeProperties(issuer="http://127.0.0.1:9")
    transaction.commit()
    answer = login_with_identity(requests.Session(), site)
    assert outcome(answer) == ("indisponible", "connexion")
    assert "ne marche pas pour le moment" in answer.text


# --- in a real browser ---------------------------------------------------------------------


def test_the_journey_in_chromium(site, provider):
    with phone() as page:
        browser_login(page, site, "jdupont")
        page.goto(skin(site, "compte"))
        page.click("#public-identity-link")
        page.wait_for_url("**/compte?identite=liee")
        assert "Votre identité publique est liée" in page.inner_text("#public-identity-message")
        check_page(page, "oidc-compte-liee")
        page.goto(skin(site, "deconnexion"))
        page.wait_for_load_state()
        check_page(page, "oidc-connexion")
        page.get_by_text(BUTTON).click()
        page.wait_for_url("**/mon-coffre/papiers")
        provider.sub = "fc-inconnu"
        page.goto(skin(site, "deconnexion"))
        page.get_by_text(BUTTON).click()
        page.wait_for_url("**/connexion?identite=inconnue")
        assert "n'ouvre aucun coffre" in page.inner_text("#public-identity-message")
        check_page(page, "oidc-identite-inconnue")
