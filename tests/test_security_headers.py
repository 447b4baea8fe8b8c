"""The skin's security headers, its cookies and its idle timeout (issue 9, decision 0026).

Every page of ``/mon-coffre`` — found from the component registry, so a page added later is
checked too — answers with a Content-Security-Policy and the other security headers, even
when it redirects or is not found.  The session cookie is HttpOnly and SameSite=Lax, and
Secure on https (with Strict-Transport-Security).  A person idle for 15 minutes (the
``public_session_idle_minutes`` setting) is logged out, with a French message.
"""

from ccas.vault.bruteforce import headers
from ccas.vault.bruteforce import idle
from ccas.vault.interfaces import IPublicSkinLayer
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from plone import api
from public_skin import skin
from public_skin import skin_session
from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
from xml.etree import ElementTree
from zope.component import getGlobalSiteManager
import ccas.vault
import pytest
import requests
import transaction


START = datetime(2026, 11, 23, 10, 0)
PACKAGE = Path(ccas.vault.__file__).parent
BROWSER = "http://namespaces.zope.org/browser"
IDLE_FR = "Vous avez été déconnecté après 15 minutes sans activité."
EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
CSP_PARTS = [
    "default-src 'self'",
    "img-src 'self' data: blob:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
]


def skin_pages():
    """The names of every page of the skin: the ``coffre-<name>`` pages of the package's ZCML."""
    names = set()
    for path in PACKAGE.rglob("*.zcml"):
        for element in ElementTree.parse(path).iter(f"{{{BROWSER}}}page"):
            name = element.get("name", "")
            if name.startswith("coffre-") and "IPublicSkinLayer" in element.get("layer", ""):
                names.add(name[len("coffre-") :])
    return sorted(names)


PAGES = skin_pages()


@pytest.fixture
def person(functional_portal, frozen):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


def paris_seconds(moment):
    from ccas.vault import clock

    return int(moment.replace(tzinfo=clock.PARIS).timestamp())


def get(url, session=None, **kw):
    return (session or requests).get(url, timeout=60, allow_redirects=False, **kw)


def assert_skin_headers(answer):
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (answer.url, name)
    policy = answer.headers["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in policy
    scripts = next(p for p in policy.split("; ") if p.startswith("script-src"))
    styles = next(p for p in policy.split("; ") if p.startswith("style-src"))
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert "'unsafe-inline'" not in styles
    assert "camera=(self)" in answer.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in answer.headers  # plain http here


def test_the_skin_has_pages(functional_portal):
    assert {"connexion", "papiers", "partager", "compte", "fermer"} <= set(PAGES)
    registered = {
        registration.name[len("coffre-") :]
        for registration in getGlobalSiteManager().registeredAdapters()
        if registration.name.startswith("coffre-")
        and any(required.isOrExtends(IPublicSkinLayer) for required in registration.required)
    }
    assert registered == set(PAGES)  # the ZCML reading above misses none


@pytest.mark.parametrize("page", PAGES)
def test_every_skin_page_sends_the_security_headers_anonymous(person, functional_portal, page):
    assert_skin_headers(get(skin(functional_portal, page)))


@pytest.mark.parametrize("page", PAGES)
def test_every_skin_page_sends_the_security_headers_logged_in(person, functional_portal, page):
    session = skin_session(functional_portal, "jdupont")
    assert_skin_headers(get(skin(functional_portal, page), session))


def test_not_found_and_refused_pages_send_them_too(person, functional_portal):
    assert_skin_headers(get(skin(functional_portal, "nimporte-quoi")))
    assert_skin_headers(get(skin(functional_portal, "papier/pas-un-uid")))


def test_the_intranet_keeps_plones_own_policy(person, functional_portal):
    answer = get(f"{functional_portal.absolute_url()}/login")
    assert "Content-Security-Policy" not in answer.headers


def test_only_static_inline_code_is_hashed(tmp_path):
    (tmp_path / "page.pt").write_text(
        "<style>p{color:red}</style><script>var a = 1;</script>"
        '<script>var b = "${view/secret}";</script><div style="display:none"></div>'
    )
    hashes = headers.inline_hashes(tmp_path)
    assert len(hashes["style"]) == 1 and len(hashes["script"]) == 1
    assert hashes["attribute"] == [headers._hash("display:none")]
    policy = headers.content_security_policy(hashes)
    assert "'unsafe-hashes'" in policy
    assert headers._hash('var b = "${view/secret}";') not in policy


# --- cookies ---------------------------------------------------------------------------------


def set_cookies(answer):
    """``{name: the whole Set-Cookie line}``."""
    lines = answer.raw.headers.getlist("Set-Cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def post_login(url):
    from vaults import PASSWORD

    return requests.post(
        url,
        data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )


def test_the_session_cookie_is_httponly_and_lax(person, functional_portal):
    answer = post_login(skin(functional_portal, "connexion"))
    assert answer.status_code == 303
    line = set_cookies(answer)["__ac"].lower()
    assert "httponly" in line and "samesite=lax" in line
    assert "secure" not in line  # plain http: a Secure cookie would never come back


def test_on_https_cookies_are_secure_and_hsts_is_sent(person, functional_portal):
    base = functional_portal.absolute_url()
    host, path = base.split("://", 1)[1].split("/", 1)
    app = functional_portal.aq_parent
    if "virtual_hosting" not in app.objectIds():
        from Products.SiteAccess.VirtualHostMonster import manage_addVirtualHostMonster

        manage_addVirtualHostMonster(app, "virtual_hosting")
        transaction.commit()
    url = f"http://{host}/VirtualHostBase/https/coffre.example.org:443/{path}/VirtualHostRoot"
    answer = post_login(f"{url}/mon-coffre/connexion")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("https://coffre.example.org/mon-coffre/")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = set_cookies(answer)
    assert "secure" in cookies["__ac"].lower()
    assert "httponly" in cookies["__ac"].lower()


# --- idle timeout ----------------------------------------------------------------------------


def test_fifteen_idle_minutes_log_the_person_out(person, functional_portal, frozen):
    session = skin_session(functional_portal, "jdupont")
    assert get(skin(functional_portal, "papiers"), session).status_code == 200
    assert idle.COOKIE in session.cookies
    frozen(START + timedelta(minutes=14))
    assert get(skin(functional_portal, "papiers"), session).status_code == 200  # renews
    frozen(START + timedelta(minutes=28))
    assert get(skin(functional_portal, "compte"), session).status_code == 200
    frozen(START + timedelta(minutes=43, seconds=1))
    answer = get(skin(functional_portal, "papiers"), session)
    assert answer.status_code == 302
    assert answer.headers["Location"] == skin(functional_portal, "connexion", inactif="1")
    assert_skin_headers(answer)
    page = session.get(answer.headers["Location"], timeout=60)
    assert IDLE_FR in page.text
    # the session is over: the papers ask for a login again
    assert "/connexion" in get(skin(functional_portal, "papiers"), session).headers["Location"]


def test_the_idle_time_is_a_setting(person, functional_portal, frozen):
    api.portal.set_registry_record("ccas.vault.settings.public_session_idle_minutes", 30)
    transaction.commit()
    session = skin_session(functional_portal, "jdupont")
    assert get(skin(functional_portal, "papiers"), session).status_code == 200
    frozen(START + timedelta(minutes=29))
    assert get(skin(functional_portal, "papiers"), session).status_code == 200
    frozen(START + timedelta(minutes=59, seconds=30))
    answer = get(skin(functional_portal, "papiers"), session)
    assert answer.headers["Location"].endswith("connexion?inactif=1")
    page = session.get(answer.headers["Location"], timeout=60)
    assert "après 30 minutes sans activité" in page.text


def test_a_forged_activity_cookie_does_not_count(person, functional_portal, frozen):
    session = skin_session(functional_portal, "jdupont")
    assert get(skin(functional_portal, "papiers"), session).status_code == 200
    frozen(START + timedelta(minutes=20))
    moment = paris_seconds(START + timedelta(minutes=19))
    forged = f"{moment}.{'0' * 64}"
    session.cookies.clear_expired_cookies()
    for cookie in list(session.cookies):
        if cookie.name == idle.COOKIE:
            session.cookies.clear(cookie.domain, cookie.path, cookie.name)
    session.cookies.set(idle.COOKIE, forged, path="/")
    # a forged (or missing) stamp starts the count again, it never extends a session
    answer = get(skin(functional_portal, "papiers"), session)
    assert answer.status_code == 200
    assert answer.cookies[idle.COOKIE].startswith(
        f"{paris_seconds(START + timedelta(minutes=20))}."
    )


def test_the_intranet_has_no_skin_idle_timeout(person, functional_portal, frozen):
    session = skin_session(functional_portal, "jdupont")
    frozen(START + timedelta(minutes=40))
    intranet = get(f"{functional_portal.absolute_url()}/@@personal-information", session)
    assert intranet.status_code != 302 or "inactif" not in intranet.headers.get("Location", "")
