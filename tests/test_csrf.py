"""CSRF: every form and every writing REST service refuses a forged post (issue 9, decision 0026).

The forms and services are read from the package's ZCML, so one added later is tested too:

* **browser views that handle a POST** (their class reads ``REQUEST_METHOD`` or is a z3c
  form): logged in with the session cookie, a post *without* plone.protect's
  ``_authenticator`` is answered 403 and commits nothing; the same post *with* the token is
  not refused, which proves the user was allowed and the token is what was missing.  Views
  without a session (anonymous pages) are listed in :data:`NO_SESSION`, with the reason;
* **writing REST services** (POST, PATCH, PUT, DELETE): a form post from another site
  (``Origin``) with the session cookie and without the token is answered 403
  ``cross_site_request`` and commits nothing, while JSON sent with an ``Authorization``
  header is not refused for being cross-site.

"Commits nothing" is read from the database itself: its last transaction does not change.
"""

from ccas.vault import refusals
from pathlib import Path
from plone.app.testing import login
from plone.app.testing import logout
from plone.protect.authenticator import createToken
from public_skin import skin
from public_skin import skin_session
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from xml.etree import ElementTree
from zope.component import getGlobalSiteManager
from zope.interface import providedBy
from ZPublisher.interfaces import IPubFailure
import base64
import ccas.vault
import ccas.vault.scopes
import importlib
import inspect
import pytest
import re
import requests
import transaction


PACKAGE = Path(ccas.vault.__file__).parent
BROWSER = "http://namespaces.zope.org/browser"
PLONE = "http://namespaces.plone.org/plone"
WRITES = ("POST", "PATCH", "PUT", "DELETE")
EVIL = "https://evil.example"

#: views that handle a POST without any session: CSRF needs a victim's session
NO_SESSION = {
    "coffre-connexion": "the login form itself (anonymous; brute force: test_bruteforce)",
    "coffre-mot-de-passe-oublie": "anonymous lost-password form (rate-limited)",
    "coffre-nouveau-mot-de-passe": "anonymous reset form, needs a secret token or code",
    "coffre-ouvrir": "anonymous self-service opening (refused to logged-in people)",
    "lien": "anonymous share-link page: the link's secret token and code are the proof",
    "verifier": "anonymous, read-only: compares a fingerprint, writes nothing",
    "connexion": "anonymous start of a login with a public identity (OIDC)",
    "retour": "anonymous return from the identity provider (OIDC state is the proof)",
}
#: writing services used without a session
SERVICES_WITHOUT_SESSION = {
    "@vault-verify": "anonymous, read-only: compares a fingerprint, writes nothing",
}
#: services that act on another object than the usual one of their interface
CONTEXTS = {"@consent": "awaiting consent"}
#: services whose writes name what they change in the path (without it: a 400, decision 0042)
SERVICE_PATHS = {"@groups": "@groups/Reviewers"}
#: what a view needs besides the generic submit fields: the sub-path, more fields
SKIN_PATHS = {
    "coffre-acces": "acces/retirer",
    "coffre-papier": "papier/{paper_uid}",
    # a relative's invitation (decision 0049): the person's own, so the honest post is refused (400)
    "coffre-invitation": "invitation?code={invitation_code}",
}
MORE_FIELDS = {
    "mandat-papier": {"mandat": "{pending_mandate_uid}"},
    "coffre-acces": {"mandate": "{mandate_id}"},
    "mes-partages": {"link": "{link_id}"},
}
#: which people may use a view or service, by the interface it is registered for
USERS_BY_CONTEXT = {
    "INavigationRoot": ("gestion", "accueil"),
    "ISiteRoot": ("gestion", "accueil"),
    "IPloneSiteRoot": ("gestion", "accueil", "ged"),
    "IVaultDirectory": ("accueil",),
    "IVault": ("aidant", "jdupont", "accueil"),
    "IVaultSpace": ("aidant", "jdupont"),
    "ISharedSpace": ("jdupont", "aidant"),
    "IVaultDocument": ("certifieur", "aidant", "jdupont"),
    "IMandate": ("jdupont", "aidant"),
    "IPublicIdentityPlugin": ("jdupont",),
}


def _package_of(path):
    return ".".join(path.relative_to(PACKAGE.parent.parent).parent.parts)


def _resolve(dotted, package):
    module, _dot, name = (package + dotted if dotted.startswith(".") else dotted).rpartition(".")
    return getattr(importlib.import_module(module), name)


def _zcml(namespace, tag):
    for path in sorted(PACKAGE.rglob("*.zcml")):
        for element in ElementTree.parse(path).iter(f"{{{namespace}}}{tag}"):
            yield _package_of(path), element


HELPERS = ("PublicPage", "OwnerPage")  # the skin's bases: helpers used by some pages only
POST_SIGNS = ("POST", "check_post(", "check_authenticator(", "CheckAuthenticator(")


def handles_post(cls):
    """Whether a view class reads POSTs: its own code says so, or it is a (wrapped) z3c form."""
    for klass in (cls, getattr(cls, "form", None) or object):
        for base in inspect.getmro(klass):
            if base.__module__.startswith("z3c.form"):
                return True
            if base.__module__.startswith("ccas.vault") and base.__name__ not in HELPERS:
                source = inspect.getsource(base)
                if any(sign in source for sign in POST_SIGNS):
                    return True
    return False


def post_views():
    """``(name, context interface)`` of every view of the package that handles a POST."""
    found = set()
    for package, element in _zcml(BROWSER, "page"):
        if element.get("class") and handles_post(_resolve(element.get("class"), package)):
            found.add((element.get("name"), element.get("for", "").rsplit(".", 1)[-1]))
    return sorted(found)


def writing_services():
    """``(method, name, context interface)`` of every writing REST service of the package."""
    return sorted(
        (element.get("method"), element.get("name"), element.get("for").rsplit(".", 1)[-1])
        for _package, element in _zcml(PLONE, "service")
        if element.get("method") in WRITES
    )


VIEWS = post_views()
SERVICES = writing_services()
SESSION_SERVICES = [case for case in SERVICES if case[1] not in SERVICES_WITHOUT_SESSION]
SESSION_VIEWS = [(name, iface) for name, iface in VIEWS if name not in NO_SESSION]


def test_the_forms_and_services_are_found():
    names = {name for name, _iface in VIEWS}
    assert {"deposit", "ouvrir-un-coffre", "coffre-partager", "ccas-settings"} <= names
    assert ("POST", "@deposit", "IVaultSpace") in SERVICES
    assert len(SERVICES) >= 20


def test_every_context_has_people_to_try():
    contexts = {iface for _name, iface in SESSION_VIEWS} | {iface for *_x, iface in SERVICES}
    assert contexts <= set(USERS_BY_CONTEXT), "add the people who may use the new form"


def test_no_exemption_is_stale():
    pages = {element.get("name") for _package, element in _zcml(BROWSER, "page")}
    assert set(NO_SESSION) <= pages
    assert set(SERVICES_WITHOUT_SESSION) <= {name for _method, name, _iface in SERVICES}


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(functional_portal, frozen):
    make_agent("accueil")
    make_agent("aidant")
    make_agent("certifieur")
    make_user("gestion", ["Site Administrator", "RecordsManager"])
    make_user("ged", ["GEDConnector"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    awaiting = open_vault_as("accueil", "mmartin", first="Marie", last="Martin")
    mandate = active_mandate(vault, agents=("aidant",), scopes=ccas.vault.scopes.SCOPES)
    paper = deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    from ccas.vault.api import mandates
    from ccas.vault.sharing import links
    from vaults import acting_as

    with acting_as("jdupont"):
        link = links.create_link(vault, [paper], "Mme Martin", "7d")[0]
        # proposed to the reception agent, waiting for the person's signed paper form
        pending = mandates.create_mandate(vault, agents=["accueil"], scopes=["consult"])
        mandates.submit(pending)
        _personal, invitation_code = mandates.name_mandatary(
            vault, name="Marc Dupont", relation="mon fils", scopes=["consult"], months=3
        )
    from ccas.vault.oidc.setup import enable

    # The opt-in public identity login, pointed at an unreachable provider: its forms too.
    enable("http://127.0.0.1:9/oidc", "ccas", "secret")
    transaction.commit()
    handler = refusals.record_refusal  # refusal traces are commits of their own: not here
    getGlobalSiteManager().unregisterHandler(handler, (IPubFailure,))
    yield {
        "portal": functional_portal,
        "INavigationRoot": functional_portal,
        "ISiteRoot": functional_portal,
        "IPloneSiteRoot": functional_portal,
        "IVaultDirectory": functional_portal["coffres"],
        "IVault": vault,
        "awaiting consent": awaiting,
        "IVaultSpace": vault["partage"],
        "ISharedSpace": vault["partage"],
        "IVaultDocument": paper,
        "IMandate": mandate,
        "IPublicIdentityPlugin": _identity_plugin(functional_portal),
        "values": {
            "paper_uid": paper.UID(),
            "mandate_id": mandate.getId(),
            "link_id": link.getId(),
            "pending_mandate_uid": pending.UID(),
            "invitation_code": invitation_code,
        },
    }
    getGlobalSiteManager().registerHandler(handler, (IPubFailure,))


def _identity_plugin(portal):
    """The public identity (OIDC) PAS plugin, when installed."""
    for plugin in portal.acl_users.objectValues():
        if any(i.__name__ == "IPublicIdentityPlugin" for i in providedBy(plugin)):
            return plugin
    return None


def last_transaction(portal):
    return portal._p_jar.db().lastTransaction()


def intranet_session(portal, login_name):
    session = requests.Session()
    answer = session.post(
        f"{portal.absolute_url()}/@@login",
        data={"__ac_name": login_name, "__ac_password": PASSWORD, "buttons.login": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert session.cookies.get("__ac"), answer.text[:300]
    return session


def token_of(portal, login_name):
    login(portal, login_name)
    try:
        return createToken()
    finally:
        logout()


SUBMIT = {
    "form.submitted": "1",
    "form.buttons.save": "1",
    "form.buttons.add": "1",
    "submit": "1",
    "confirm": "1",
    "revoke": "1",
    "discard": "1",
    "delivery": "print",
    "action": "1",
    "step": "1",
    "add": "1",
    "close": "1",
    "form.action": "contact",
}


#: views of one entry of a control panel's listing (``@@<listing><suffix>/<entry>``)
ENTRY_SUFFIXES = ("-edit", "-recompute")


def first_entry(session, portal, name):
    """The id of the first entry listed by the control panel of an ``…-edit`` view."""
    suffix = next(suffix for suffix in ENTRY_SUFFIXES if name.endswith(suffix))
    listing = session.get(f"{portal.absolute_url()}/@@{name[: -len(suffix)]}", timeout=60)
    found = re.findall(rf"@@{name}/([\w.-]+)", listing.text)
    return found[0] if found else "missing"


def refused_for_permission(answer):
    location = answer.headers.get("Location", "")
    return answer.status_code in (401, 404) or (
        answer.status_code in (302, 303)
        and any(word in location for word in ("require_login", "login", "connexion"))
    )


@pytest.mark.parametrize(("name", "iface"), SESSION_VIEWS)
def test_a_form_post_without_the_token_is_refused(world, name, iface):
    portal = world["portal"]
    skin_page = name.startswith("coffre-")
    people = ("jdupont",) if skin_page else USERS_BY_CONTEXT[iface]
    if world[iface] is None:
        pytest.skip(f"{iface}: not installed in this site")
    values = world["values"]
    data = {**SUBMIT, **{k: v.format(**values) for k, v in MORE_FIELDS.get(name, {}).items()}}
    allowed = []
    for person in people:
        if skin_page:
            path = SKIN_PATHS.get(name, name[len("coffre-") :]).format(**values)
            session, url = skin_session(portal, person), skin(portal, path)
        else:
            session = intranet_session(portal, person)
            url = f"{world[iface].absolute_url()}/@@{name}"
            if name.endswith(ENTRY_SUFFIXES):
                url = f"{url}/{first_entry(session, portal, name)}"
        before = last_transaction(portal)
        forged = session.post(url, data=data, timeout=60, allow_redirects=False)
        assert last_transaction(portal) == before, f"{name} as {person}: a forged post wrote"
        honest = session.post(
            url,
            data={**data, "_authenticator": token_of(portal, person)},
            timeout=60,
            allow_redirects=False,
        )
        if not refused_for_permission(honest) and honest.status_code != 403:
            allowed.append(person)
            assert forged.status_code == 403, f"{name} as {person}: {forged.status_code}"
        transaction.begin()
    assert allowed, f"nobody among {people} may use {name}: add who may"


def basic(person):
    return {"Authorization": "Basic " + base64.b64encode(f"{person}:{PASSWORD}".encode()).decode()}


@pytest.mark.parametrize(("method", "name", "iface"), SESSION_SERVICES)
def test_a_cross_site_post_to_a_service_is_refused(world, method, name, iface):
    portal = world["portal"]
    context = world[CONTEXTS.get(name, iface)]
    url = f"{context.absolute_url()}/{SERVICE_PATHS.get(name, name)}"
    refused_as_forged = []
    for person in USERS_BY_CONTEXT[iface]:
        session = intranet_session(portal, person)
        before = last_transaction(portal)
        forged = session.request(
            method,
            url,
            data={"title": "x", "comment": "x"},
            headers={"Origin": EVIL, "Accept": "application/json"},
            timeout=60,
            allow_redirects=False,
        )
        assert last_transaction(portal) == before, f"{method} {name} as {person} wrote"
        if forged.status_code == 403 and "cross_site_request" in forged.text:
            refused_as_forged.append(person)
            with_header = requests.request(
                method,
                url,
                json={},
                headers={
                    "Origin": EVIL,
                    "Accept": "application/json",
                    **basic(person),
                },
                timeout=60,
            )
            assert "cross_site_request" not in with_header.text
            assert with_header.status_code != 401
        transaction.begin()
    assert refused_as_forged, f"{method} {name}: no refusal for a cross-site post"
