"""Sessions end on the server; nobody logs a browser in from another site (issue 19, items 4
and 5; decision 0036).

An attacker who kept a copy of the ``__ac`` cookie or of a JWT token (a shared computer, a
proxy's log, a stolen phone) replays it after the person logged out, changed their password,
or after the vault was deleted: it is refused.  A mandate's end refuses the agent the vault at
once, while the agent's session (theirs) goes on.  A login form posted from another site
(login CSRF: the browser logged into the attacker's vault) is refused with a French message.
"""

from ccas.vault.account.sessions import SessionEnder
from ccas.vault.accounts import set_password
from ccas.vault.api import closing
from ccas.vault.api import mandates
from ccas.vault.security import as_system
from datetime import timedelta
from plone import api
from plone.keyring.interfaces import IKeyManager
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getUtility
import contextlib
import html
import pytest
import requests
import transaction


NEW_PASSWORD = "Un-autre-mot-de-passe-2"
FORGED_FR = "Cette connexion vient d'un autre site : elle est refusée."
JSON = {"Accept": "application/json"}


@pytest.fixture
def people(functional_portal):
    make_agent("accueil")
    make_agent("travailleur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    private = deposit_as("jdupont", vault["prive"], title="Avis d'imposition")
    shared = deposit_as("jdupont", vault["partage"], title="Attestation partagée")
    transaction.commit()
    return vault, private, shared


def fresh(obj):
    obj._p_jar.sync()
    return obj


def get(url, cookie=None, token=None, **kw):
    """A GET by a bare client that only replays what it kept: a cookie or a token."""
    headers = dict(kw.pop("headers", {}))
    if token:
        headers["Authorization"] = f"Bearer {token}"
    cookies = {"__ac": cookie} if cookie else None
    return requests.get(
        url, headers=headers, cookies=cookies, timeout=60, allow_redirects=False, **kw
    )


def papers_open(portal, cookie):
    """Whether the cookie opens "Mes papiers" (and shows the private paper)."""
    page = get(skin(portal, "papiers"), cookie)
    return page.status_code == 200 and "Avis d'imposition" in page.text


def download(paper, cookie=None, token=None):
    return get(f"{paper.absolute_url()}/@@download/file", cookie, token).status_code


def history_status(vault, cookie=None, token=None):
    return get(f"{vault.absolute_url()}/@vault-history", cookie, token, headers=JSON).status_code


def rest_token(portal, login, password=PASSWORD):
    answer = requests.post(
        f"{portal.absolute_url()}/@login",
        json={"login": login, "password": password},
        headers=JSON,
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()["token"]


def intranet_cookie(portal, login, password=PASSWORD):
    session = requests.Session()
    answer = session.post(
        f"{portal.absolute_url()}/@@login",
        data={"__ac_name": login, "__ac_password": password, "buttons.login": "Se connecter"},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.cookies.get("__ac"), answer.status_code
    return answer.cookies["__ac"]


# --- item 4: logout ------------------------------------------------------------------------


def test_the_skins_logout_ends_the_cookie_on_the_server(people, functional_portal):
    _vault, private, _shared = people
    session = skin_session(functional_portal, "jdupont")
    kept = session.cookies["__ac"]
    assert papers_open(functional_portal, kept)
    assert download(private, kept) == 200
    bye = session.get(skin(functional_portal, "deconnexion"), timeout=60, allow_redirects=False)
    assert bye.status_code == 303
    assert not papers_open(functional_portal, kept)
    assert get(skin(functional_portal, "papiers"), kept).status_code == 302
    assert download(private, kept) in (302, 401, 403)


def test_plones_logout_ends_the_cookie_on_the_server(people, functional_portal):
    vault, private, _shared = people
    kept = intranet_cookie(functional_portal, "jdupont")
    assert history_status(vault, kept) == 200
    bye = get(f"{functional_portal.absolute_url()}/logout", kept)
    assert bye.status_code in (200, 302, 303)
    assert history_status(vault, kept) == 401
    assert download(private, kept) in (302, 401, 403)


def test_rest_logout_ends_the_token_on_the_server(people, functional_portal):
    vault, private, _shared = people
    token = rest_token(functional_portal, "jdupont")
    assert history_status(vault, token=token) == 200
    bye = requests.post(
        f"{functional_portal.absolute_url()}/@logout",
        headers={**JSON, "Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert bye.status_code == 204 or bye.status_code == 200, bye.text[:300]
    assert history_status(vault, token=token) == 401
    assert download(private, token=token) in (302, 401, 403)


def test_a_logout_ends_every_session_of_the_account(people, functional_portal):
    """The shared computer and the phone: logging out on one ends the other, and the token."""
    vault, _private, _shared = people
    phone = skin_session(functional_portal, "jdupont")
    computer = skin_session(functional_portal, "jdupont")
    token = rest_token(functional_portal, "jdupont")
    assert papers_open(functional_portal, computer.cookies["__ac"])
    phone.get(skin(functional_portal, "deconnexion"), timeout=60, allow_redirects=False)
    assert not papers_open(functional_portal, computer.cookies["__ac"])
    assert history_status(vault, token=token) == 401
    again = skin_session(functional_portal, "jdupont")  # logging in again works at once
    assert papers_open(functional_portal, again.cookies["__ac"])


def test_replaying_the_old_cookie_on_the_logout_page_reopens_nothing(people, functional_portal):
    """Replaying the old cookie on the logout page after the logout does not reopen anything."""
    session = skin_session(functional_portal, "jdupont")
    kept = session.cookies["__ac"]
    session.get(skin(functional_portal, "deconnexion"), timeout=60, allow_redirects=False)
    again = get(skin(functional_portal, "deconnexion"), kept)
    assert again.status_code == 303
    assert not papers_open(functional_portal, kept)


# --- item 4: password changes -----------------------------------------------------------------


def change_own_password(portal, session):
    page = session.get(skin(portal, "compte"), timeout=60)
    assert page.status_code == 200
    return session.post(
        skin(portal, "compte"),
        data={
            "form.action": "password",
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
            "_authenticator": form_token(page.text),
        },
        timeout=60,
        allow_redirects=False,
    )


def test_the_persons_own_password_change_ends_the_other_sessions_not_this_one(
    people, functional_portal
):
    vault, private, _shared = people
    here = skin_session(functional_portal, "jdupont")
    elsewhere = skin_session(functional_portal, "jdupont").cookies["__ac"]
    token = rest_token(functional_portal, "jdupont")
    answer = change_own_password(functional_portal, here)
    assert answer.status_code == 303, answer.text[:500]
    assert not papers_open(functional_portal, elsewhere)
    assert download(private, elsewhere) in (302, 401, 403)
    assert history_status(vault, token=token) == 401
    assert papers_open(functional_portal, here.cookies["__ac"]), "this browser stays logged in"
    assert papers_open(
        functional_portal, skin_session(functional_portal, "jdupont", NEW_PASSWORD).cookies["__ac"]
    )


def test_a_password_set_by_anyone_else_ends_every_session(people, functional_portal):
    """An assisted reset, a reset by link or questions, an administrator's change: all go
    through PAS's ``CredentialsUpdated``; nobody keeps a session of the account."""
    vault, private, _shared = people
    cookie = skin_session(functional_portal, "jdupont").cookies["__ac"]
    token = rest_token(functional_portal, "jdupont")
    transaction.begin()
    with as_system():
        set_password("jdupont", NEW_PASSWORD)
    transaction.commit()
    assert not papers_open(functional_portal, cookie)
    assert history_status(vault, token=token) == 401
    assert download(private, token=token) in (302, 401, 403)


# --- item 4: the vault deleted, the mandate ended --------------------------------------------


def test_a_deleted_vaults_sessions_end_and_leave_no_trace(people, functional_portal):
    vault, private, _shared = people
    cookie = skin_session(functional_portal, "jdupont").cookies["__ac"]
    token = rest_token(functional_portal, "jdupont")
    url = private.absolute_url()
    transaction.begin()
    with acting_as("jdupont"):
        due = closing.request_closure(fresh(vault))
    transaction.commit()
    assert papers_open(functional_portal, cookie), "the grace period: the person still exports"
    transaction.begin()
    with as_system():
        closing.close_due_vaults(now=due + timedelta(minutes=1))
    transaction.commit()
    assert not papers_open(functional_portal, cookie)
    assert get(f"{url}/@@download/file", cookie).status_code in (302, 401, 404)
    assert history_status(vault, token=token) in (401, 404)
    transaction.begin()
    manager = getUtility(IKeyManager)
    assert not [ring for ring in manager if ring.endswith("jdupont")]
    jwt = api.portal.get_tool("acl_users").jwt_auth
    assert "jdupont" not in jwt._tokens


def shared_listing(vault, cookie=None, token=None):
    answer = get(vault["partage"].absolute_url(), cookie, token, headers=JSON)
    return answer.status_code


def test_a_mandates_end_refuses_the_agent_at_once_and_keeps_the_agents_session(
    people, functional_portal
):
    """Decision 0036: the agent's session is theirs (other vaults, Mon accueil); the vault is
    refused because rights are computed at every request."""
    vault, _private, _shared = people
    transaction.begin()
    mandate = active_mandate(fresh(vault), agents=("travailleur",), scopes=("consult",))
    transaction.commit()
    cookie = intranet_cookie(functional_portal, "travailleur")
    token = rest_token(functional_portal, "travailleur")
    assert shared_listing(vault, cookie) == 200
    assert shared_listing(vault, token=token) == 200
    transaction.begin()
    with acting_as("jdupont"):
        mandates.revoke(fresh(mandate))
    transaction.commit()
    assert shared_listing(vault, cookie) in (401, 403)
    assert shared_listing(vault, token=token) in (401, 403)
    home = get(f"{functional_portal.absolute_url()}/@@accueil-agent", cookie)
    assert home.status_code == 200, "the agent's own session goes on"


# --- the machinery --------------------------------------------------------------------------


def test_logout_plugin_is_the_first_credentials_reset_plugin(functional_portal):
    from Products.PluggableAuthService.interfaces.plugins import ICredentialsResetPlugin

    pas = api.portal.get_tool("acl_users")
    first = pas.plugins.listPlugins(ICredentialsResetPlugin)[0][1]
    assert isinstance(first, SessionEnder)
    assert pas.session.per_user_keyring is True
    assert pas.jwt_auth.store_tokens is True


# --- item 5: login CSRF --------------------------------------------------------------------


def post_login(portal, headers=None, session=None, **extra):
    return (session or requests).post(
        skin(portal, "connexion"),
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1", **extra},
        headers=headers or {},
        timeout=60,
        allow_redirects=False,
    )


def logged_in(answer):
    return answer.status_code == 303 and bool(answer.cookies.get("__ac"))


FOREIGN = [
    {"Origin": "https://attaquant.example"},
    {"Origin": "http://127.0.0.1:1"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://attaquant.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Referer": "https://attaquant.example/page.html"},
    {"Origin": "null"},  # a sandboxed frame, or a page under "no-referrer"
]


@pytest.mark.parametrize(
    "headers", FOREIGN, ids=lambda h: "+".join(f"{k}={v}" for k, v in h.items())
)
def test_a_login_posted_from_another_site_is_refused(people, functional_portal, headers):
    answer = post_login(functional_portal, headers)
    assert answer.status_code == 403
    assert not answer.cookies.get("__ac")
    assert FORGED_FR in html.unescape(answer.text)
    assert 'value="jdupont"' not in answer.text


def test_the_sites_own_login_form_still_logs_in(people, functional_portal):
    own = functional_portal.absolute_url().split("/", 3)
    origin = f"{own[0]}//{own[2]}"
    assert logged_in(post_login(functional_portal, {"Origin": origin}))
    assert logged_in(post_login(functional_portal, {"Sec-Fetch-Site": "same-origin"}))
    assert logged_in(
        post_login(functional_portal, {"Referer": skin(functional_portal, "connexion")})
    )
    assert logged_in(post_login(functional_portal)), "a program (no browser headers) logs in"


def test_origin_null_logs_in_with_the_forms_token_and_pre_login_cookie(people, functional_portal):
    """An older browser under the skin's ``no-referrer`` policy sends ``Origin: null``: the
    form's token, tied to the cookie set by the login page, proves the post is ours."""
    browser = requests.Session()
    page = browser.get(skin(functional_portal, "connexion"), timeout=60)
    token = page.text.split('name="login_token" value="', 1)[1].split('"', 1)[0]
    assert logged_in(
        post_login(functional_portal, {"Origin": "null"}, session=browser, login_token=token)
    )
    stranger = requests.Session()  # the attacker's token is not tied to the victim's cookie
    stranger.get(skin(functional_portal, "connexion"), timeout=60)
    assert (
        post_login(
            functional_portal, {"Origin": "null"}, session=stranger, login_token=token
        ).status_code
        == 403
    )


@contextlib.contextmanager
def attacker_site(html_page):
    """Another origin (127.0.0.1 on another port: the site is served on localhost) serving
    one page."""
    from http.server import BaseHTTPRequestHandler
    from http.server import ThreadingHTTPServer
    from servers import free_port
    import threading

    body = html_page.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_chromium_is_not_logged_into_the_attackers_vault_by_another_sites_page(
    people, functional_portal
):
    """The attack of item 5 in a real browser: a page elsewhere posts the skin's login form
    with the attacker's login; the browser must not come back logged in."""
    from public_skin import browser_login
    from public_skin import phone

    forged = f"""<!DOCTYPE html><html><body>
<form method="post" action="{skin(functional_portal, "connexion")}">
<input name="__ac_name" value="jdupont"><input name="__ac_password" value="{PASSWORD}">
<input name="form.submitted" value="1"></form>
<script>document.forms[0].submit()</script></body></html>"""
    with attacker_site(forged) as url, phone(functional_portal) as page:
        page.goto(url)
        page.wait_for_url("**/mon-coffre/**")
        assert page.url.endswith("/mon-coffre/connexion"), f"logged in, sent to {page.url}"
        assert FORGED_FR in page.inner_text("#password-error")
        assert not [c for c in page.context.cookies() if c["name"] == "__ac" and c["value"]]
        page.goto(skin(functional_portal, "papiers"))
        assert "/connexion" in page.url, "not logged into anybody's vault"
        browser_login(page, functional_portal, "jdupont")  # the site's own form still works
        assert "Avis d'imposition" in page.content()


def test_upgrade_1005_turns_on_server_side_sessions(functional_portal):
    from ccas.vault.account.sessions import PLUGIN_ID
    from ccas.vault.upgrades import v1005

    pas = api.portal.get_tool("acl_users")
    pas._delObject(PLUGIN_ID)
    pas.session.per_user_keyring = False
    pas.jwt_auth.store_tokens = False
    v1005.end_sessions_on_the_server()
    assert isinstance(getattr(pas, PLUGIN_ID), SessionEnder)
    assert pas.session.per_user_keyring and pas.jwt_auth.store_tokens
    v1005.end_sessions_on_the_server()  # idempotent
    from Products.PluggableAuthService.interfaces.plugins import ICredentialsResetPlugin

    assert pas.plugins.listPluginIds(ICredentialsResetPlugin).count(PLUGIN_ID) == 1


# --- on make start's instance -----------------------------------------------------------------


@pytest.mark.slow
def test_on_the_shipped_instance_a_logout_ends_the_cookie_and_the_token(real_site):
    from real_instance import DEMO_PASSWORD

    papers = f"{real_site.url}/mon-coffre/papiers"
    login = {"__ac_name": "alice.martin", "__ac_password": DEMO_PASSWORD, "form.submitted": "1"}
    forged = requests.post(
        f"{real_site.url}/mon-coffre/connexion",
        data=login,
        headers={"Origin": "https://attaquant.example", "Sec-Fetch-Site": "cross-site"},
        timeout=60,
        allow_redirects=False,
    )
    assert forged.status_code == 403 and not forged.cookies.get("__ac")
    assert FORGED_FR in html.unescape(forged.text)
    browser = requests.Session()
    answer = browser.post(
        f"{real_site.url}/mon-coffre/connexion", data=login, timeout=60, allow_redirects=False
    )
    assert answer.status_code == 303, answer.text[:300]
    kept = browser.cookies["__ac"]
    assert get(papers, kept).status_code == 200
    token = requests.post(
        f"{real_site.url}/@login",
        json={"login": "alice.martin", "password": DEMO_PASSWORD},
        headers=JSON,
        timeout=60,
    ).json()["token"]
    assert get(papers, token=token).status_code == 200
    bye = browser.get(f"{real_site.url}/mon-coffre/deconnexion", timeout=60, allow_redirects=False)
    assert bye.status_code == 303
    assert get(papers, kept).status_code == 302
    assert get(papers, token=token).status_code in (302, 401)
    again = requests.post(
        f"{real_site.url}/@login",
        json={"login": "alice.martin", "password": DEMO_PASSWORD},
        headers=JSON,
        timeout=60,
    ).json()["token"]
    out = requests.post(
        f"{real_site.url}/@logout",
        headers={**JSON, "Authorization": f"Bearer {again}"},
        timeout=60,
    )
    assert out.status_code in (200, 204), out.text[:300]
    assert get(papers, token=again).status_code in (302, 401)
