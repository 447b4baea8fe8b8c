"""Plone's own UI and user listings, attacked from outside (issue 19, items 1, 3 and 12;
decision 0034).

Over HTTP on the functional layer (AccessControl's C implementation, the instance's
site.zcml prelude), as the person (``jdupont``), an agent without any mandate on the vault
(``accueil``), an agent with a consult mandate (``aidant``), the GED account and anonymous:

* **item 1** — Plone's content views (the edit form, ``folder_contents``, renaming,
  deleting, the workflow and history screens, portlets…) are refused on the directory,
  vaults, spaces, papers and mandates, and every Plone view but logging in and out is
  refused to the person on the site.  The views tried are read from the component
  registry (:func:`plone_views`), not from memory.  The person cannot rewrite the GED
  person ids of their vault (which delivered another person's parked letter into their
  papers), neither through the edit form nor through ``PATCH``; the owner's ``PATCH`` of an
  uncertified paper's metadata still works;
* **item 3** — the user, group and principal vocabularies and the ``@users``, ``@groups``,
  ``@principals`` searches list no account to the person, the GED account or an agent;
  the Site Administrator still lists them;
* **item 12** — ``PATCH @groups/<workspace group>`` is a clean 403 (the roster of a shared
  space is its mandates, decision 0006), no traceback, nothing changed.
"""

from ccas.vault.plone_ui import ALLOWED_FOR_PERSONS
from ccas.vault.plone_ui import ALLOWED_ON_VAULTS
from ccas.vault.plone_ui import is_own_view
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from plone.app.testing import SITE_OWNER_PASSWORD
from plone.rest.interfaces import IService
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getSiteManager
from zope.interface import alsoProvides
from zope.interface import Interface
from zope.interface import providedBy
from zope.publisher.interfaces.browser import IBrowserView
import pytest
import re
import requests
import transaction


#: the views the issue names (item 1); each must be among the registry's, and refused
NAMED_VIEWS = (
    "edit",
    "@@edit",
    "folder_contents",
    "@@folder_contents",
    "sharing",
    "@@sharing",
    "content_status_history",
    "object_rename",
    "delete_confirmation",
    "select_default_page",
    "@@historyview",
    "@@manage-portlets",
)
#: the site's views the issue names for the person
NAMED_SITE_VIEWS = (
    "@@personal-preferences",
    "@@personal-information",
    "@@dashboard",
    "@@manage-portlets",
    "folder_contents",
    "edit",
    "@@overview-controlpanel",
    "@@usergroup-userprefs",
)
#: Plone's adding views fail while the publisher traverses them without a type to add
#: (500 ``AttributeError``, for any account, before any check of the add-on): not a way in,
#: a crash left to the hostile suite (issue 19's "crashes"); on the vaults they are replaced
FAIL_WHILE_TRAVERSED = ("+", "+rule")
ACCOUNT_LISTINGS = (
    "@vocabularies/plone.app.vocabularies.Users?title=o",
    "@vocabularies/plone.app.vocabularies.Users",
    "@vocabularies/plone.app.vocabularies.Groups",
    "@vocabularies/plone.app.vocabularies.Principals?title=o",
    "@vocabularies/collective.workspace.groups",
    "@users?query=o",
    "@users",
    "@groups?query=o",
    "@groups",
    "@principals?search=o",
)


def plone_views(ob, layers=()):
    """Names of the browser views the component registry gives ``ob`` that are not the
    add-on's own (Plone's, Five's, plone.app.*'s…), on a request with the site's layers."""
    request = api.env.getRequest()
    for layer in layers:
        alsoProvides(request, layer)
    names = set()
    lookup = getSiteManager().adapters.lookupAll
    for name, factory in lookup((providedBy(ob), providedBy(request)), Interface):
        if not name or not isinstance(factory, type) or IService.implementedBy(factory):
            continue
        if IBrowserView.implementedBy(factory) and not is_own_view_class(factory):
            names.add(name)
    return sorted(names)


def is_own_view_class(factory):
    return is_own_view(factory.__new__(factory))


def refused(answer):
    """Refused: 403, 404, sent to log in (401, or a redirection to a login form), sent to
    the person's own pages (``/mon-coffre``), or 400 (a view that needs more of the path,
    such as ``images``, gives nothing)."""
    location = answer.headers.get("Location", "")
    return answer.status_code in (400, 401, 403, 404) or (
        answer.status_code in (302, 303) and re.search(r"login|connexion|/mon-coffre$", location)
    )


def intranet_session(portal, login_name, password=PASSWORD):
    session = requests.Session()
    session.post(
        f"{portal.absolute_url()}/@@login",
        data={"__ac_name": login_name, "__ac_password": password, "buttons.login": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert session.cookies.get("__ac")
    return session


def api_session(login_name=None, password=PASSWORD):
    session = requests.Session()
    session.headers["Accept"] = "application/json"
    if login_name:
        session.auth = (login_name, password)
    return session


@pytest.fixture
def world(functional_portal, frozen):
    from ccas.vault import interfaces

    portal = functional_portal
    make_agent("accueil")
    make_agent("aidant")
    make_user("ged", ["GEDConnector"])
    make_user("gestion", ["Site Administrator"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", ged_person_ids=["GED-DUPONT"]))
    other = consent_as_owner(
        open_vault_as("accueil", "mmartin", first="Marie", last="Martin", ged_person_ids=["GM-7"])
    )
    mandate = active_mandate(vault, agents=("aidant",), scopes=("consult",))
    paper = deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    transaction.commit()
    layers = (interfaces.ICcasVaultLayer,)
    objects = {
        "directory": portal["coffres"],
        "vault": vault,
        "private space": vault["prive"],
        "shared space": vault["partage"],
        "paper": paper,
        "mandate": mandate,
    }
    return {
        "portal": portal,
        "vault": vault,
        "other": other,
        "paper": paper,
        "objects": objects,
        "views": {key: plone_views(ob, layers) for key, ob in objects.items()},
        "site views": plone_views(portal, layers),
    }


# --- the enumeration ------------------------------------------------------------------------


def test_the_views_are_read_from_the_registry(world):
    vault_views = set(world["views"]["vault"])
    assert len(vault_views) > 100
    assert {name.removeprefix("@@") for name in NAMED_VIEWS} - {"sharing"} <= vault_views
    assert {"personal-preferences", "dashboard"} <= set(world["site views"])
    # the add-on's own pages are not in the list: they decide for themselves
    assert "vault-history" not in vault_views and "bienvenue" not in world["site views"]


# --- item 1: Plone's content UI on the vaults -----------------------------------------------


def test_the_person_reaches_no_plone_view_of_the_vaults(world):
    person = skin_session(world["portal"], "jdupont")
    reached = []
    for key, ob in world["objects"].items():
        for name in world["views"][key]:
            if name in ALLOWED_ON_VAULTS or name in ALLOWED_FOR_PERSONS:
                continue
            answer = person.get(f"{ob.absolute_url()}/@@{name}", timeout=60, allow_redirects=False)
            if not refused(answer):
                reached.append((key, name, answer.status_code))
    assert reached == [], reached


@pytest.mark.parametrize("login_name", ["jdupont", "accueil", "aidant", "ged", SITE_OWNER_NAME])
def test_the_named_views_are_refused_on_every_object_of_a_vault(world, login_name):
    password = SITE_OWNER_PASSWORD if login_name == SITE_OWNER_NAME else PASSWORD
    if login_name == "jdupont":
        session = skin_session(world["portal"], login_name)
    elif login_name == SITE_OWNER_NAME:
        session = requests.Session()
        session.auth = (login_name, password)
    else:
        session = intranet_session(world["portal"], login_name)
    reached = []
    for key, ob in world["objects"].items():
        for name in NAMED_VIEWS:
            answer = session.get(f"{ob.absolute_url()}/{name}", timeout=60, allow_redirects=False)
            if not refused(answer):
                reached.append((key, name, answer.status_code))
            assert answer.status_code < 500, (key, name, answer.text[:300])
    assert reached == [], reached


def test_anonymous_reaches_no_plone_view_of_a_vault(world):
    for key, ob in world["objects"].items():
        for name in NAMED_VIEWS:
            answer = requests.get(f"{ob.absolute_url()}/{name}", timeout=60, allow_redirects=False)
            assert refused(answer), (key, name, answer.status_code)


def test_the_person_cannot_claim_another_persons_ged_letters_through_the_edit_form(world):
    vault, portal = world["vault"], world["portal"]
    person = skin_session(portal, "jdupont")
    page = person.get(f"{vault.absolute_url()}/edit", timeout=60, allow_redirects=False)
    assert refused(page)
    assert "ged_person_ids" not in page.text and "GED-DUPONT" not in page.text
    token = form_token(person.get(skin(portal, "papiers"), timeout=60).text)
    forged = person.post(
        f"{vault.absolute_url()}/@@edit",
        data={
            "form.widgets.ged_person_ids": "GM-7",
            "form.widgets.first_name": "Marie",
            "form.widgets.last_name": "Martin",
            "form.widgets.birth_date": "1980-05-17",
            "form.buttons.save": "Enregistrer",
            "_authenticator": token,
        },
        timeout=60,
        allow_redirects=False,
    )
    assert refused(forged)
    transaction.begin()
    assert list(vault.ged_person_ids) == ["GED-DUPONT"]
    assert vault.first_name == "Jean"


def test_the_person_cannot_patch_the_identity_of_their_vault(world):
    vault = world["vault"]
    for body in (
        {"ged_person_ids": ["GM-7"]},
        {"last_name": "Martin"},
        {"birth_date": "1990-01-01"},
    ):
        answer = api_session("jdupont").patch(
            f"{world['portal'].absolute_url()}/++api++/coffres/{vault.getId()}",
            json=body,
            timeout=60,
        )
        assert answer.status_code in (401, 403), answer.text[:300]
    transaction.begin()
    assert list(vault.ged_person_ids) == ["GED-DUPONT"]
    assert (vault.last_name, str(vault.birth_date)) == ("Dupont", "1980-05-17")


def test_the_pages_of_a_vault_show_the_person_no_plone_button(world):
    person = skin_session(world["portal"], "jdupont")
    for key, ob in world["objects"].items():
        page = person.get(ob.absolute_url(), timeout=60)
        assert page.status_code == 200, key
        buttons = re.findall(r'href="[^"]*/(edit|folder_contents|delete_confirmation)\b', page.text)
        assert buttons == [], (key, buttons)
        assert 'id="edit-zone"' not in page.text, key  # Plone's toolbar


def test_staff_keep_the_toolbar(world):
    page = intranet_session(world["portal"], "accueil").get(
        f"{world['portal'].absolute_url()}/@@personal-information", timeout=60
    )
    assert 'id="edit-zone"' in page.text


def test_the_owner_still_patches_an_uncertified_papers_metadata(world):
    paper = world["paper"]
    answer = api_session("jdupont").patch(
        f"{world['portal'].absolute_url()}/++api++/{'/'.join(paper.getPhysicalPath()[2:])}",
        json={"title": "Attestation CAF 2026"},
        timeout=60,
    )
    assert answer.status_code == 204, answer.text[:300]
    transaction.begin()
    assert paper.title == "Attestation CAF 2026"


def test_the_pages_of_the_vault_still_open(world):
    portal, paper = world["portal"], world["paper"]
    person = skin_session(portal, "jdupont")
    assert person.get(skin(portal, "papiers"), timeout=60).status_code == 200
    agent = intranet_session(portal, "aidant")
    assert agent.get(paper.absolute_url(), timeout=60).status_code == 200
    assert agent.get(f"{paper.absolute_url()}/@@preview", timeout=60).status_code == 200


# --- item 1: Plone's UI on the site, for the person ----------------------------------------


def test_the_person_reaches_no_plone_view_of_the_site(world):
    portal = world["portal"]
    person = skin_session(portal, "jdupont")
    reached = []
    for name in world["site views"]:
        if name in ALLOWED_FOR_PERSONS or name in FAIL_WHILE_TRAVERSED:
            continue
        answer = person.get(f"{portal.absolute_url()}/@@{name}", timeout=60, allow_redirects=False)
        if not refused(answer):
            reached.append((name, answer.status_code))
    assert reached == [], reached
    for name in NAMED_SITE_VIEWS:
        answer = person.get(f"{portal.absolute_url()}/{name}", timeout=60, allow_redirects=False)
        assert refused(answer), (name, answer.status_code)


def test_the_person_is_sent_to_their_own_pages(world):
    portal = world["portal"]
    person = skin_session(portal, "jdupont")
    for url in (f"{portal.absolute_url()}/@@dashboard", f"{world['paper'].absolute_url()}/@@edit"):
        answer = person.get(url, timeout=60, allow_redirects=False)
        assert answer.headers.get("Location") == skin(portal), (url, answer.status_code)
        landed = person.get(url, timeout=60)
        assert landed.status_code == 200 and landed.url.startswith(skin(portal)), landed.url


def test_staff_keep_plones_site_ui(world):
    portal = world["portal"]
    admin = intranet_session(portal, "gestion")
    assert admin.get(f"{portal.absolute_url()}/@@overview-controlpanel", timeout=60).ok
    agent = intranet_session(portal, "accueil")
    assert agent.get(f"{portal.absolute_url()}/@@personal-information", timeout=60).ok


def test_the_person_still_logs_in_and_out(world):
    portal = world["portal"]
    person = skin_session(portal, "jdupont")
    assert person.get(skin(portal, "papiers"), timeout=60).status_code == 200
    assert person.get(f"{portal.absolute_url()}/logout", timeout=60).status_code < 400


# --- item 3: nobody but user managers lists accounts ---------------------------------------


@pytest.mark.parametrize("login_name", ["jdupont", "ged", "accueil", "aidant", None])
@pytest.mark.parametrize("route", ACCOUNT_LISTINGS)
def test_accounts_are_not_listed(world, login_name, route):
    answer = api_session(login_name).get(
        f"{world['portal'].absolute_url()}/++api++/{route}", timeout=60
    )
    assert answer.status_code in (401, 403), (answer.status_code, answer.text[:300])
    assert "mmartin" not in answer.text and "Jdupont" not in answer.text


@pytest.mark.parametrize("login_name", ["jdupont", "ged", "accueil"])
def test_the_vocabulary_view_lists_no_account(world, login_name):
    portal = world["portal"]
    session = (
        skin_session(portal, login_name)
        if login_name == "jdupont"
        else intranet_session(portal, login_name)
    )
    for context in (portal, world["vault"]["partage"]):
        answer = session.get(
            f"{context.absolute_url()}/@@getVocabulary",
            params={"name": "plone.app.vocabularies.Users", "field": "user", "query": "o"},
            timeout=60,
            allow_redirects=False,
        )
        assert "mmartin" not in answer.text, answer.text[:300]


def test_the_site_administrator_still_lists_accounts(world):
    answer = api_session("gestion").get(
        f"{world['portal'].absolute_url()}/++api++/@vocabularies/plone.app.vocabularies.Users",
        params={"title": "o"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert any(item["token"] == "jdupont" for item in answer.json()["items"])


# --- item 12: the workspace groups belong to the mandates -----------------------------------


@pytest.mark.parametrize("login_name", [SITE_OWNER_NAME, "gestion"])
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
def test_a_workspace_group_is_not_patched(world, login_name, method):
    space = world["vault"]["partage"]
    group_id = f"consult:{space.UID()}"
    password = SITE_OWNER_PASSWORD if login_name == SITE_OWNER_NAME else PASSWORD
    answer = api_session(login_name, password).request(
        method,
        f"{world['portal'].absolute_url()}/++api++/@groups/{group_id}",
        json={"users": {"gestion": True}, "title": "Lecteurs"},
        timeout=60,
    )
    assert answer.status_code == 403, (answer.status_code, answer.text[:500])
    assert "Traceback" not in answer.text and "KeyError" not in answer.text
    assert answer.json()["error"]["message_fr"]
    transaction.begin()
    members = api.user.get_users(groupname=group_id)
    assert "gestion" not in {member.getId() for member in members}


# --- item 1: who corrects the identity and the GED ids, traced ------------------------------


def identity_url(world):
    return (
        f"{world['portal'].absolute_url()}/++api++/coffres/{world['vault'].getId()}/@vault-identity"
    )


def help_account(world, agent="aidant"):
    """A mandate in force with the account-help scope for ``agent`` (a CCAS agent)."""
    active_mandate(world["vault"], agents=(agent,), scopes=("account",))
    transaction.commit()


@pytest.mark.parametrize(
    "login_name", ["jdupont", "aidant", "ged", "gestion", SITE_OWNER_NAME, None]
)
def test_the_identity_is_not_corrected_without_the_account_help_scope(world, login_name):
    password = SITE_OWNER_PASSWORD if login_name == SITE_OWNER_NAME else PASSWORD
    answer = api_session(login_name, password).patch(
        identity_url(world), json={"ged_person_ids": ["GM-7"]}, timeout=60
    )
    assert answer.status_code in (401, 403), answer.text[:300]
    transaction.begin()
    assert list(world["vault"].ged_person_ids) == ["GED-DUPONT"]


def test_the_person_does_not_correct_their_own_identity_even_with_the_scope(world):
    make_agent("jdupont")  # the person is also an agent of the CCAS
    help_account(world, agent="aidant")
    answer = api_session("jdupont").patch(
        identity_url(world), json={"ged_person_ids": ["GM-7"]}, timeout=60
    )
    assert answer.status_code == 403, answer.text[:300]


def test_a_ccas_agent_with_the_account_help_scope_corrects_the_identity_traced(world):
    from ccas.vault.api.vaults import find_vaults
    from ccas.vault.history import api as history
    from ccas.vault.letters.persons import vaults_of_ged_person

    help_account(world)
    answer = api_session("aidant").patch(
        identity_url(world),
        json={"ged_person_ids": ["GED-DUPONT", "GED-42"], "last_name": "Dupont-Moreau"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:300]
    assert answer.json()["changed"] == ["ged_person_ids", "last_name"]
    transaction.begin()
    vault = world["vault"]
    assert list(vault.ged_person_ids) == ["GED-DUPONT", "GED-42"]
    assert vault.last_name == "Dupont-Moreau"
    last = list(history.entries(vault))[-1]
    assert (last.action, last.actor) == ("account_help", "aidant")
    assert last.details["what"] == "identity"
    assert last.details["last_name_before"] == "Dupont"
    assert last.details["ged_person_ids_after"] == "GED-DUPONT, GED-42"
    with api.env.adopt_roles(["Manager"]):
        assert [v.getId() for v in vaults_of_ged_person("ged-42")] == [vault.getId()]
    with api.env.adopt_user(username="accueil"):
        found = find_vaults("Dupont-Moreau")
    assert [item["id"] for item in found] == [vault.getId()]


def test_a_bad_identity_is_a_400(world):
    help_account(world)
    for body in ({}, {"birth_date": "1800-01-01"}, {"ged_person_ids": [1, 2]}):
        answer = api_session("aidant").patch(identity_url(world), json=body, timeout=60)
        assert answer.status_code == 400, answer.text[:300]
        assert answer.json()["error"]["message_fr"]


def test_the_upgrade_takes_the_edit_right_away_from_owners_of_existing_vaults(world):
    from ccas.vault.upgrades.v1005 import owners_edit_no_vault

    vault = world["vault"]
    workflow = api.portal.get_tool("portal_workflow")["ccas_vault_workflow"]
    workflow.states["open"].setPermission("Modify portal content", 0, ["VaultOwner"])
    workflow.updateRoleMappingsFor(vault)  # a site before 1005
    assert api.user.has_permission("Modify portal content", username="jdupont", obj=vault)
    owners_edit_no_vault()
    assert not api.user.has_permission("Modify portal content", username="jdupont", obj=vault)
    assert workflow.states["open"].getPermissionInfo("Modify portal content")["roles"] == []
