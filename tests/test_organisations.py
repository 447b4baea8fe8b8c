"""Organisations: a registry that records managers configure, preloaded on install."""

from ccas.vault.interfaces import ICcasVaultLayer
from ccas.vault.organisations import add_organisation
from ccas.vault.organisations import get_organisation
from ccas.vault.organisations import IOrganisation
from ccas.vault.organisations import list_organisations
from ccas.vault.organisations import organisation_of
from ccas.vault.organisations import OrganisationInfo
from ccas.vault.organisations import PREFIX
from ccas.vault.organisations import set_enabled
from ccas.vault.organisations import update_organisation
from plone import api
from plone.registry.interfaces import IRegistry
from plone.testing.zope import Browser
from zExceptions import Forbidden
from zExceptions import NotFound
from zExceptions import Unauthorized
from zope.component import getUtility
from zope.interface import alsoProvides
from zope.schema.interfaces import ConstraintNotSatisfied
import pytest
import transaction


PASSWORD = "Un-mot-de-passe-long"


# --- The preloaded registry -------------------------------------------------


def test_ccas_and_caf_are_preloaded(portal):
    assert [o.id for o in list_organisations()] == ["caf", "ccas"]
    assert get_organisation("ccas") == OrganisationInfo(
        id="ccas",
        title="CCAS",
        kind="ccas",
        may_certify=True,
        group_id="ccas-agents",
        enabled=True,
    )
    assert get_organisation("caf") == OrganisationInfo(
        id="caf",
        title="CAF",
        kind="caf",
        may_certify=False,
        group_id="caf-agents",
        enabled=True,
    )


def test_organisations_are_a_collection_of_records_keyed_by_id(portal):
    registry = getUtility(IRegistry)
    collection = registry.collectionOfInterface(IOrganisation, prefix=PREFIX)
    assert set(collection.keys()) == {"ccas", "caf"}
    assert collection["ccas"].may_certify is True
    assert registry[f"{PREFIX}/caf.group_id"] == "caf-agents"


def test_unknown_or_malformed_organisations_are_none(portal):
    assert get_organisation("inconnue") is None
    assert get_organisation("../ccas") is None
    assert get_organisation("") is None


def test_new_organisation_defaults(portal):
    info = add_organisation("departement", title="Département", kind="departement")
    assert info == OrganisationInfo(
        id="departement",
        title="Département",
        kind="departement",
        may_certify=False,
        group_id=None,
        enabled=True,
    )
    assert [o.id for o in list_organisations()] == ["caf", "ccas", "departement"]


def test_ids_are_unique_slugs_and_fields_known(portal):
    with pytest.raises(ValueError):
        add_organisation("ccas", title="Doublon")
    with pytest.raises(ValueError):
        add_organisation("Mission Locale", title="X")
    with pytest.raises(TypeError):
        update_organisation("caf", colour="blue")
    with pytest.raises(KeyError):
        update_organisation("inconnue", title="X")


def test_kind_must_come_from_the_fixed_list(portal):
    with pytest.raises(ConstraintNotSatisfied):
        update_organisation("caf", kind="banque")


def test_reimporting_the_profile_restores_the_preload(portal):
    """Documented limitation: upgrades must not re-run the registry import step."""
    update_organisation("caf", may_certify=True)
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile("profile-ccas.vault:default", "plone.app.registry")
    assert get_organisation("caf").may_certify is False


# --- Whose agents ------------------------------------------------------------


@pytest.fixture
def agents(portal):
    for group_id in ("ccas-agents", "caf-agents"):
        if api.group.get(groupname=group_id) is None:
            api.group.create(groupname=group_id)
    for username, group_id in (("agent-ccas", "ccas-agents"), ("agent-caf", "caf-agents")):
        portal.acl_users.userFolderAddUser(username, PASSWORD, ["VaultAgent"], [])
        api.group.add_user(groupname=group_id, username=username)
    portal.acl_users.userFolderAddUser("personne", PASSWORD, ["Member"], [])


def test_organisation_of_a_ccas_agent(agents):
    assert organisation_of("agent-ccas").id == "ccas"
    assert organisation_of(api.user.get(username="agent-ccas")).may_certify is True


def test_organisation_of_a_caf_agent(agents):
    info = organisation_of(api.user.get(username="agent-caf"))
    assert (info.id, info.may_certify) == ("caf", False)


def test_organisation_of_nobody(agents):
    assert organisation_of("personne") is None
    assert organisation_of("inconnu") is None
    assert organisation_of(None) is None


def test_a_disabled_organisation_has_no_agents(agents):
    set_enabled("caf", False)
    assert organisation_of("agent-caf") is None
    assert organisation_of("agent-ccas").id == "ccas"


# --- Vocabularies -----------------------------------------------------------


def test_vocabulary_tokens_are_ids_and_titles(portal, get_vocabulary):
    vocab = get_vocabulary("ccas.vault.Organisations", portal)
    assert [term.token for term in vocab] == ["caf", "ccas"]
    assert vocab.getTerm("ccas").title == "CCAS"
    assert vocab.getTermByToken("caf").value == "caf"


def test_disabled_organisation_leaves_the_vocabulary_but_stays_readable(portal, get_vocabulary):
    set_enabled("caf", False)
    assert "caf" not in get_vocabulary("ccas.vault.Organisations", portal)
    assert "caf" not in {o.id for o in list_organisations()}
    assert "caf" in {o.id for o in list_organisations(include_disabled=True)}
    assert get_organisation("caf").title == "CAF"
    set_enabled("caf", True)
    assert "caf" in get_vocabulary("ccas.vault.Organisations", portal)


def test_new_organisation_joins_the_vocabulary(portal, get_vocabulary):
    add_organisation("secours", title="Association d'entraide", kind="association")
    vocab = get_vocabulary("ccas.vault.Organisations", portal)
    assert [term.token for term in vocab] == ["secours", "caf", "ccas"]


def test_kind_vocabulary(portal, get_vocabulary):
    vocab = get_vocabulary("ccas.vault.OrganisationKinds", portal)
    assert [term.token for term in vocab] == [
        "ccas",
        "caf",
        "cpam",
        "departement",
        "france-travail",
        "association",
        "other",
    ]


# --- The control panel: who may open it -------------------------------------


@pytest.fixture
def layer_request(portal):
    alsoProvides(portal.REQUEST, ICcasVaultLayer)
    return portal.REQUEST


@pytest.fixture
def make_user(portal):
    def make(username, role):
        portal.acl_users.userFolderAddUser(username, PASSWORD, [role], [])

    return make


def test_control_panel_lists_every_organisation_for_a_records_manager(
    portal, layer_request, make_user
):
    make_user("archiviste", "RecordsManager")
    set_enabled("caf", False)
    with api.env.adopt_user(username="archiviste"):
        html = portal.restrictedTraverse("@@ccas-organisations")()
    assert 'id="organisation-ccas"' in html
    assert 'id="organisation-caf"' in html
    assert "<code>ccas-agents</code>" in html
    assert "@@ccas-organisations-edit/caf" in html
    assert "@@ccas-organisations-add" in html


def test_edit_form_of_one_organisation_for_a_records_manager(portal, layer_request, make_user):
    make_user("archiviste", "RecordsManager")
    with api.env.adopt_user(username="archiviste"):
        view = portal.restrictedTraverse("@@ccas-organisations-edit")
        assert view.publishTraverse(layer_request, "ccas") is view
        html = view()
    assert 'name="form.widgets.may_certify:list"' in html
    assert 'value="ccas-agents"' in html
    assert 'name="form.buttons.disable"' in html
    assert 'name="_authenticator"' in html


def test_edit_form_of_an_unknown_organisation_is_not_found(portal, layer_request):
    with api.env.adopt_roles(["RecordsManager"]):
        view = portal.restrictedTraverse("@@ccas-organisations-edit")
    with pytest.raises(NotFound):
        view.publishTraverse(layer_request, "inconnue")
    with pytest.raises(NotFound):
        view()


@pytest.mark.parametrize(
    "view", ["ccas-organisations", "ccas-organisations-add", "ccas-organisations-edit"]
)
@pytest.mark.parametrize("role", ["VaultAgent", "Beneficiary", None])
def test_control_panel_is_refused_to_others(portal, layer_request, make_user, view, role):
    if role is None:
        context = api.env.adopt_roles(["Anonymous"])
    else:
        make_user("quelquun", role)
        context = api.env.adopt_user(username="quelquun")
    with context, pytest.raises(Unauthorized):
        portal.restrictedTraverse(f"@@{view}")


def test_configlet_is_registered_for_the_settings_permission(portal):
    configlet = api.portal.get_tool("portal_controlpanel").getActionObject(
        "Products/ccas-organisations"
    )
    assert configlet.permissions == ("ccas.vault: Manage settings",)
    assert configlet.title == "Organisations"


# --- The control panel through the browser (functional) ----------------------


@pytest.fixture
def browser_as(functional_app, functional_portal):
    def login(role):
        browser = Browser(functional_app)
        browser.handleErrors = False
        if role is not None:
            username = role.lower()
            functional_portal.acl_users.userFolderAddUser(username, PASSWORD, [role], [])
            transaction.commit()
            browser.addHeader("Authorization", f"Basic {username}:{PASSWORD}")
        return browser

    return login


def test_records_manager_lets_caf_agents_certify_through_the_form(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    portal_url = functional_portal.absolute_url()
    browser.open(f"{portal_url}/@@ccas-organisations")
    browser.getLink(url="@@ccas-organisations-edit/caf").click()
    assert browser.getControl(name="form.widgets.may_certify:list").value == []
    assert browser.getControl(name="_authenticator").value
    browser.getControl(name="form.widgets.may_certify:list").value = ["selected"]
    browser.getControl(name="form.buttons.save").click()
    assert browser.url.endswith("/@@ccas-organisations")
    transaction.begin()
    info = get_organisation("caf")
    assert (info.may_certify, info.group_id, info.title) == (True, "caf-agents", "CAF")


def test_records_manager_adds_and_disables_an_organisation(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    portal_url = functional_portal.absolute_url()
    browser.open(f"{portal_url}/@@ccas-organisations-add")
    browser.getControl(name="form.widgets.organisation_id").value = "departement"
    browser.getControl(name="form.widgets.title").value = "Département"
    browser.getControl(name="form.widgets.kind:list").value = ["departement"]
    browser.getControl(name="form.widgets.group_id").value = "departement-agents"
    browser.getControl(name="form.buttons.add").click()
    assert "departement-agents" in browser.contents

    browser.open(f"{portal_url}/@@ccas-organisations-edit/departement")
    browser.getControl(name="form.buttons.disable").click()
    transaction.begin()
    info = get_organisation("departement")
    assert (info.title, info.kind, info.group_id, info.may_certify, info.enabled) == (
        "Département",
        "departement",
        "departement-agents",
        False,
        False,
    )


def test_an_existing_id_cannot_be_added_twice(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-organisations-add")
    browser.getControl(name="form.widgets.organisation_id").value = "ccas"
    browser.getControl(name="form.widgets.title").value = "Autre CCAS"
    browser.getControl(name="form.buttons.add").click()
    assert "already exists" in browser.contents
    transaction.begin()
    assert get_organisation("ccas").title == "CCAS"


def test_a_forged_post_without_csrf_token_changes_nothing(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    url = f"{functional_portal.absolute_url()}/@@ccas-organisations-edit/caf"
    data = (
        "form.widgets.title=CAF&form.widgets.kind:list=caf"
        "&form.widgets.may_certify:list=selected&form.widgets.group_id=caf-agents"
        "&form.buttons.save=Save"
    )
    with pytest.raises(Forbidden):
        browser.post(url, data)
    transaction.begin()
    assert get_organisation("caf").may_certify is False


@pytest.mark.parametrize("role", ["VaultAgent", None])
def test_others_cannot_reach_the_edit_form(functional_portal, browser_as, role):
    """Plone answers Unauthorized with a redirection to its login page."""
    browser = browser_as(role)
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    browser.followRedirects = False
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-organisations-edit/caf")
    assert browser.headers["Status"].startswith("302")
    assert "/require_login?" in browser.headers["Location"]
    assert b"form.widgets" not in browser.contents
