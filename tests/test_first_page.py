"""The site root's first page ``@@bienvenue`` (decision 0033): what an anonymous visitor
sees at ``/ccas``, where each account is sent from there and after Plone's login form,
and the profile that makes it the root's default view (install, upgrade, uninstall)."""

from ccas.vault.browser.public.router import CSS_VERSION
from ccas.vault.upgrades import v1005
from plone import api
from urllib.parse import urlsplit
from urllib.parse import urlunsplit
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


UNTHEMED_HOSTS = "plone.app.theming.interfaces.IThemeSettings.hostnameBlacklist"


@pytest.fixture
def site(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_agent("accueil")
    make_user("archiviste", global_roles=["RecordsManager"])
    make_user("chef", global_roles=["Manager"])
    make_user("sans-role")
    consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return functional_portal


def get(url, login=None, **kw):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60, **kw)


def plone_login(portal, login, came_from=None):
    """Plone's own login form, as its page posts it: the answer (not followed)."""
    data = {"__ac_name": login, "__ac_password": PASSWORD, "buttons.login": "Se connecter"}
    if came_from is not None:
        data["came_from"] = came_from
    return requests.post(
        f"{portal.absolute_url()}/login", data=data, timeout=60, allow_redirects=False
    )


def at_host(url, host):
    """``url`` with its host name replaced (same port)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}"))


# --- an anonymous visitor ----------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/", "/view"])
def test_an_anonymous_visitor_sees_the_french_landing_page(site, suffix):
    root = site.absolute_url()
    response = get(f"{root}{suffix}")
    assert response.status_code == 200, response.text[:300]
    page = response.text
    assert "<h1>Le coffre-fort numérique du CCAS</h1>" in page
    button = re.search(r'class="btn btn-main btn-wide" id="first-page-safe" href="([^"]+)"', page)
    assert button and button.group(1) == f"{root}/mon-coffre"
    assert "J'ai un coffre-fort numérique" in page
    staff = re.search(r'<a id="first-page-staff" href="([^"]+)">([^<]+)</a>', page)
    assert staff and staff.groups() == (f"{root}/login", "Personnel du CCAS : se connecter")
    # the skin's light page, not a themed Plone page with its toolbar and bundles
    assert response.headers["X-Theme-Disabled"] == "1"
    assert "++webresource++" not in page and "plone-toolbar" not in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_landing_page_uses_the_skins_stylesheet(site):
    page = get(site.absolute_url()).text
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert css == f"{site.absolute_url()}/mon-coffre/style.css?v={CSS_VERSION}"
    sheet = get(css)
    assert sheet.status_code == 200
    assert sheet.headers["Content-Type"].startswith("text/css")
    assert ".btn-main{" in sheet.text


def test_the_big_button_leads_an_anonymous_visitor_to_the_persons_login(site):
    response = get(f"{site.absolute_url()}/mon-coffre")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{site.absolute_url()}/mon-coffre/connexion"


# --- somebody logged in ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "start"),
    [
        ("accueil", "@@accueil-agent"),
        ("jdupont", "mon-coffre"),
        ("archiviste", "@@overview-controlpanel"),
        ("chef", "@@overview-controlpanel"),
    ],
)
def test_the_root_sends_each_account_to_its_start_page(site, login, start):
    for suffix in ("", "/"):
        response = get(f"{site.absolute_url()}{suffix}", login)
        assert response.status_code == 302, (login, response.status_code)
        assert response.headers["Location"] == f"{site.absolute_url()}/{start}"
        assert response.headers["Cache-Control"] == "private, no-store"
    assert get(f"{site.absolute_url()}/{start}", login).status_code in (200, 302)


def test_the_start_pages_open_for_their_accounts(site):
    root = site.absolute_url()
    assert get(f"{root}/@@accueil-agent", "accueil").status_code == 200
    assert get(f"{root}/@@overview-controlpanel", "archiviste").status_code == 200
    assert get(f"{root}/mon-coffre", "jdupont").headers["Location"] == f"{root}/mon-coffre/papiers"


def test_an_account_with_no_start_page_sees_the_page_with_a_way_out(site):
    response = get(site.absolute_url(), "sans-role")
    assert response.status_code == 200
    assert 'id="first-page-no-space"' in response.text
    assert f'id="first-page-logout" href="{site.absolute_url()}/logout"' in response.text
    assert 'id="first-page-staff"' not in response.text


# --- after Plone's login form ------------------------------------------------------------


@pytest.mark.parametrize("came_from", [None, "", "root", "root/"])
def test_an_agent_logging_in_from_the_root_lands_on_my_home(site, came_from):
    root = site.absolute_url()
    if came_from is not None:
        came_from = came_from.replace("root", root)
    response = plone_login(site, "accueil", came_from)
    assert response.status_code == 302, response.text[:300]
    assert response.cookies.get("__ac")
    assert response.headers["Location"] == f"{root}/@@accueil-agent"


def test_a_records_manager_logging_in_lands_on_site_setup(site):
    response = plone_login(site, "archiviste")
    assert response.headers["Location"] == f"{site.absolute_url()}/@@overview-controlpanel"


def test_a_page_the_login_was_asked_for_is_kept(site):
    wanted = f"{site.absolute_url()}/@@mes-accompagnements"
    response = plone_login(site, "accueil", came_from=wanted)
    assert response.headers["Location"] == wanted


# --- the profile: install, upgrade, uninstall --------------------------------------------


def test_the_first_page_is_the_site_roots_default_view(portal):
    site_type = portal.portal_types["Plone Site"]
    assert site_type.default_view == "bienvenue"
    assert "bienvenue" in site_type.view_methods
    assert portal.getLayout() == "bienvenue"


def test_no_host_name_is_left_unthemed(portal):
    assert api.portal.get_registry_record(UNTHEMED_HOSTS) == []


def test_plone_pages_are_themed_on_127_0_0_1_as_on_localhost(site):
    for host in ("localhost", "127.0.0.1"):
        page = get(at_host(f"{site.absolute_url()}/login", host)).text
        assert "++theme++barceloneta/css/barceloneta.min.css" in page, host


def test_the_1005_upgrade_brings_the_first_page_to_an_existing_site(portal):
    site_type = portal.portal_types["Plone Site"]
    site_type.manage_changeProperties(
        default_view="document_view",
        view_methods=tuple(v for v in site_type.view_methods if v != "bienvenue"),
    )
    api.portal.set_registry_record(UNTHEMED_HOSTS, ["127.0.0.1"])
    v1005.upgrade(None)
    assert site_type.default_view == "bienvenue"
    assert list(site_type.view_methods).count("bienvenue") == 1
    assert api.portal.get_registry_record(UNTHEMED_HOSTS) == []
    v1005.upgrade(None)  # idempotent
    assert list(site_type.view_methods).count("bienvenue") == 1


def test_uninstalling_gives_the_root_back_its_plone_view(portal):
    api.portal.get_tool("portal_setup").runAllImportStepsFromProfile("profile-ccas.vault:uninstall")
    site_type = portal.portal_types["Plone Site"]
    assert site_type.default_view != "bienvenue"
    assert "bienvenue" not in site_type.view_methods
    assert portal.getLayout() == site_type.default_view
