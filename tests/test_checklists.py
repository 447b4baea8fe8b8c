"""Procedure checklists: the registry, the state of each paper in a vault, who sees what."""

from AccessControl import Unauthorized
from ccas.vault.api import documents
from ccas.vault.api import mandates
from ccas.vault.checklists import add_checklist
from ccas.vault.checklists import checklist_status
from ccas.vault.checklists import ChecklistItemError
from ccas.vault.checklists import EXPIRED
from ccas.vault.checklists import get_checklist
from ccas.vault.checklists import list_checklists
from ccas.vault.checklists import MISSING
from ccas.vault.checklists import Option
from ccas.vault.checklists import parse_item
from ccas.vault.checklists import parse_items
from ccas.vault.checklists import set_enabled
from ccas.vault.checklists import TOO_OLD
from ccas.vault.checklists import update_checklist
from ccas.vault.checklists import VALID
from ccas.vault.checklists import visible_documents
from ccas.vault.clock import expire_documents
from ccas.vault.document_types import get_document_type
from ccas.vault.interfaces import ICcasVaultLayer
from ccas.vault.workspace import forget_cached_local_roles
from datetime import date
from datetime import datetime
from plone import api
from plone.testing.zope import Browser
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zExceptions import NotFound
from zope.interface import alsoProvides
import pytest
import transaction


PRELOADED = {
    "dossier-rsa",
    "demande-logement-social",
    "complementaire-sante-solidaire",
    "domiciliation",
}

TEST_ITEMS = [
    "cni|passeport",
    "justificatif-domicile:3m",
    "attestation-caf",
    "rib",
    "avis-imposition:30d",
]


# --- The registry -------------------------------------------------------------


def test_four_checklists_are_preloaded_with_existing_types(portal):
    checklists = list_checklists()
    assert {c.id for c in checklists} == PRELOADED
    for checklist in checklists:
        assert checklist.enabled and checklist.title_fr and checklist.title_en
        assert checklist.items
        for item in checklist.items:
            assert all(get_document_type(type_id) for type_id in item.type_ids)
    rsa = get_checklist("dossier-rsa")
    assert rsa.title("fr") == "Dossier RSA"
    assert rsa.items[0].type_ids == ("cni", "passeport", "titre-sejour")
    assert rsa.items[1].options[0] == Option("justificatif-domicile", max_age_months=3)


@pytest.mark.parametrize(
    ("line", "options", "canonical"),
    [
        ("rib", (Option("rib"),), "rib"),
        (" cni | passeport ", (Option("cni"), Option("passeport")), "cni|passeport"),
        ("justificatif-domicile:3m", (Option("justificatif-domicile", 3),), None),
        ("justificatif-domicile: 3 mois", (Option("justificatif-domicile", 3),), None),
        ("bulletin-salaire:90j", (Option("bulletin-salaire", None, 90),), "bulletin-salaire:90d"),
        (
            "bulletin-salaire:90d|attestation-caf:2m",
            (Option("bulletin-salaire", None, 90), Option("attestation-caf", 2)),
            None,
        ),
    ],
)
def test_item_lines_are_read(portal, line, options, canonical):
    item = parse_item(line)
    assert item.options == options
    assert item.as_text() == (canonical or line.replace(" ", "").replace("mois", "m"))


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("inconnu", "“inconnu” is not a document type identifier"),
        ("cni|", "a document type identifier is missing"),
        ("cni:3 semaines", "write the maximum age as a number of months (3m)"),
        ("cni:0m", "write the maximum age"),
        ("cni:", "write the maximum age"),
        ("cni|cni", "a document type appears twice"),
    ],
)
def test_bad_lines_are_refused_with_the_line_number(portal, line, words):
    with pytest.raises(ChecklistItemError) as raised:
        parse_items(["rib", line])
    assert str(raised.value).startswith("Line 2: ")
    assert words in str(raised.value)


def test_items_are_shown_with_labels_and_ages(portal):
    from ccas.vault.checklists import item_text

    portal.REQUEST["LANGUAGE"] = "en"
    text = item_text(parse_item("cni|passeport:3m|rib:90d"), portal.REQUEST)
    assert text == (
        "National identity card or Passport (less than 3 months old) "
        "or Bank details (RIB) (less than 90 days old)"
    )


def test_a_checklist_needs_at_least_one_paper(portal):
    with pytest.raises(ChecklistItemError):
        parse_items(["", "  "])
    with pytest.raises(ValueError):
        add_checklist("vide", title_fr="Vide", items=[])
    assert get_checklist("vide") is None


def test_add_update_disable(portal, get_vocabulary):
    info = add_checklist("dossier-apl", title_fr="Dossier APL", items=["cni", "rib:1m"])
    assert (info.title("en"), info.enabled) == ("Dossier APL", True)
    assert [i.as_text() for i in info.items] == ["cni", "rib:1m"]
    assert "dossier-apl" in get_vocabulary("ccas.vault.Checklists", portal)

    info = update_checklist("dossier-apl", title_en="APL application", items=["passeport"])
    assert (info.title("en"), info.items[0].type_ids) == ("APL application", ("passeport",))

    set_enabled("dossier-apl", False)
    assert "dossier-apl" not in {c.id for c in list_checklists()}
    assert "dossier-apl" in {c.id for c in list_checklists(include_disabled=True)}
    assert "dossier-apl" not in get_vocabulary("ccas.vault.Checklists", portal)


def test_ids_and_values_are_checked(portal):
    with pytest.raises(ValueError):
        add_checklist("dossier-rsa", title_fr="Doublon", items=["cni"])
    with pytest.raises(ValueError):
        add_checklist("Dossier RSA", title_fr="X", items=["cni"])
    with pytest.raises(ValueError):
        add_checklist("sans-titre", title_fr="", items=["cni"])
    with pytest.raises(ValueError):
        update_checklist("domiciliation", items=["inconnu"])
    with pytest.raises(KeyError):
        update_checklist("inconnue", title_fr="X")
    assert get_checklist("domiciliation").items[0].type_ids == ("cni", "passeport", "titre-sejour")


# --- The state of each paper --------------------------------------------------


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("travailleur")
    add_checklist("test-demarche", title_fr="Démarche de test", items=TEST_ITEMS)
    return consent_as_owner(open_vault_as("accueil", "jdupont"))


def states(vault_or_space, login="jdupont", checklist="test-demarche"):
    forget_cached_local_roles(vault_or_space.REQUEST)
    with acting_as(login):
        status = checklist_status(vault_or_space, checklist)
    return [s.state for s in status.items], status


def test_present_missing_expired_too_old(vault):
    cni = deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    deposit_as(
        "jdupont",
        vault["partage"],
        "justificatif-domicile",
        issued=date(2026, 7, 1),
        valid_until=date(2027, 7, 1),
    )
    caf = deposit_as("jdupont", vault["partage"], "attestation-caf", issued=date(2026, 6, 1))
    tax = deposit_as("jdupont", vault["prive"], "avis-imposition", issued=date(2026, 11, 1))
    found, status = states(vault)
    assert found == [VALID, TOO_OLD, EXPIRED, MISSING, VALID]
    assert [s.document for s in status.items] == [cni, status.items[1].document, caf, None, tax]
    assert status.counts == {VALID: 2, TOO_OLD: 1, EXPIRED: 1, MISSING: 1}
    assert not status.complete
    assert status.valid_documents == [cni, tax]


def test_expired_by_the_clock_stays_expired(vault, portal):
    caf = deposit_as("jdupont", vault["prive"], "attestation-caf", issued=date(2026, 6, 1))
    expire_documents(portal)
    assert api.content.get_state(caf) == "expired"
    assert states(vault)[0][2] == EXPIRED


def test_expired_by_valid_until_even_with_a_recent_issue_date(vault):
    deposit_as(
        "jdupont",
        vault["prive"],
        "justificatif-domicile",
        issued=date(2026, 11, 1),
        valid_until=date(2026, 11, 22),
    )
    assert states(vault)[0][1] == EXPIRED


def test_too_old_follows_the_frozen_clock(vault, frozen):
    deposit_as(
        "jdupont",
        vault["prive"],
        "justificatif-domicile",
        issued=date(2026, 8, 23),
        valid_until=date(2027, 8, 23),
    )
    assert states(vault)[0][1] == VALID  # exactly 3 months old on 2026-11-23
    frozen(datetime(2026, 11, 24, 8, 0))
    assert states(vault)[0][1] == TOO_OLD
    deposit_as("jdupont", vault["prive"], "avis-imposition", issued=date(2026, 10, 25))
    assert states(vault)[0][4] == VALID  # 30 days
    frozen(datetime(2026, 11, 25, 8, 0))
    assert states(vault)[0][4] == TOO_OLD


def test_a_paper_without_issue_date_is_too_old_when_an_age_is_asked(vault):
    deposit_as("jdupont", vault["prive"], "justificatif-domicile", valid_until=date(2027, 1, 1))
    deposit_as("jdupont", vault["prive"], "rib")
    found, _status = states(vault)
    assert (found[1], found[3]) == (TOO_OLD, VALID)


def test_the_best_paper_wins(vault):
    deposit_as("jdupont", vault["prive"], "attestation-caf", issued=date(2026, 6, 1))
    recent = deposit_as("jdupont", vault["partage"], "attestation-caf", issued=date(2026, 11, 2))
    deposit_as("jdupont", vault["prive"], "passeport", issued=date(2025, 1, 1))
    older = deposit_as("jdupont", vault["prive"], "cni", issued=date(2019, 1, 1))
    newer = deposit_as("jdupont", vault["prive"], "cni", issued=date(2024, 1, 1))
    _found, status = states(vault)
    assert status.items[2].document == recent
    assert status.items[0].document.document_type == "passeport"
    assert older not in status.valid_documents and newer not in status.valid_documents


def test_a_superseded_paper_does_not_count_its_new_version_does(vault):
    old = deposit_as("jdupont", vault["prive"], "attestation-caf", issued=date(2026, 6, 1))
    assert states(vault)[0][2] == EXPIRED
    with acting_as("jdupont"):
        new = documents.replace(old, data=pdf_bytes("Nouvelle"), issued=date(2026, 11, 20))
    assert api.content.get_state(old) == "superseded"
    found, status = states(vault)
    assert (found[2], status.items[2].document) == (VALID, new)

    rib = deposit_as("jdupont", vault["prive"], "rib")
    assert states(vault)[0][3] == VALID
    with acting_as("jdupont"):
        documents.replace(rib, data=pdf_bytes("RIB"))
    found, status = states(vault)
    assert found[3] == VALID
    assert status.items[3].document != rib


def test_complete_when_every_paper_is_valid(vault):
    for type_id in ("cni", "rib", "attestation-caf", "avis-imposition"):
        deposit_as("jdupont", vault["prive"], type_id, issued=date(2026, 11, 20))
    deposit_as("jdupont", vault["prive"], "justificatif-domicile", issued=date(2026, 11, 1))
    found, status = states(vault)
    assert found == [VALID] * 5 and status.complete
    assert len(status.valid_documents) == 5


def test_unknown_or_disabled_checklists_are_a_key_error(vault):
    with acting_as("jdupont"), pytest.raises(KeyError):
        checklist_status(vault, "inconnue")
    set_enabled("test-demarche", False)
    with acting_as("jdupont"), pytest.raises(KeyError):
        checklist_status(vault, "test-demarche")


# --- Who sees what --------------------------------------------------------------


def test_an_agent_sees_only_the_shared_space(vault):
    deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    rib = deposit_as("jdupont", vault["partage"], "rib")
    active_mandate(vault, scopes=("consult",))
    assert states(vault)[0][0] == VALID
    found, status = states(vault, "travailleur")
    assert (found[0], found[3]) == (MISSING, VALID)
    assert status.valid_documents == [rib]
    assert states(vault["partage"], "travailleur")[0] == found


def test_private_papers_never_leak_to_an_agent(vault):
    private = deposit_as("jdupont", vault["prive"], "rib")
    active_mandate(vault, scopes=("consult", "extract", "deposit", "share", "account"))
    forget_cached_local_roles(vault.REQUEST)
    with acting_as("travailleur"):
        assert private not in visible_documents(vault)
        with pytest.raises(Unauthorized):
            checklist_status(vault["prive"], "test-demarche")
    assert states(vault, "travailleur")[0][3] == MISSING


def test_an_agent_with_the_deposit_scope_only_sees_nothing(vault):
    active_mandate(vault, scopes=("deposit",))
    for context in (vault, vault["partage"]):
        forget_cached_local_roles(vault.REQUEST)
        with acting_as("travailleur"), pytest.raises(Unauthorized):
            checklist_status(context, "test-demarche")


def test_a_revoked_mandate_stops_at_once(vault):
    mandate = active_mandate(vault, scopes=("consult",))
    assert states(vault, "travailleur")[0]
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    forget_cached_local_roles(vault.REQUEST)
    with acting_as("travailleur"), pytest.raises(Unauthorized):
        checklist_status(vault, "test-demarche")


@pytest.mark.parametrize(
    "who", ["stranger", "Manager", "Site Administrator", "RecordsManager", None]
)
def test_nobody_else_gets_anything(vault, who):
    deposit_as("jdupont", vault["prive"], "rib")
    deposit_as("jdupont", vault["partage"], "cni")
    login = None
    if who == "stranger":
        login = "autre-agent"
        make_agent(login)
    elif who is not None:
        login = who.lower().replace(" ", "-")
        make_user(login, [who])
    for context in (vault, vault["prive"], vault["partage"]):
        forget_cached_local_roles(vault.REQUEST)
        with acting_as(login), pytest.raises(Unauthorized):
            checklist_status(context, "test-demarche")


# --- @@mes-demarches -----------------------------------------------------------


def page(context, login, **form):
    request = context.REQUEST
    alsoProvides(request, ICcasVaultLayer)
    request.form.clear()
    request.form.update(form)
    forget_cached_local_roles(request)
    with acting_as(login):
        return context.restrictedTraverse("@@mes-demarches")()


def test_the_page_lists_procedures_with_counts(vault):
    deposit_as("jdupont", vault["prive"], "rib")
    html = page(vault, "jdupont")
    assert 'id="procedure-test-demarche"' in html
    assert "@@mes-demarches?demarche=dossier-rsa" in html
    assert 'id="agent-scope"' not in html


def test_the_page_of_one_procedure_with_badges_and_bundle_links(vault):
    cni = deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    rib = deposit_as("jdupont", vault["partage"], "rib")
    deposit_as("jdupont", vault["prive"], "attestation-caf", issued=date(2026, 6, 1))
    html = page(vault, "jdupont", demarche="test-demarche")
    assert html.count("paper paper-valid") == 2
    assert html.count("paper paper-missing") == 2
    assert html.count("paper paper-expired") == 1
    share = f"{vault.absolute_url()}/@@partager?uids={cni.UID()}&amp;uids={rib.UID()}"
    assert share in html
    assert f"{vault.absolute_url()}/@@print-bundle?uids={cni.UID()}&amp;uids={rib.UID()}" in html
    assert "issued on" in html or "fait le" in html.lower()


def test_the_page_for_an_agent_shows_only_the_shared_space(vault):
    private = deposit_as("jdupont", vault["prive"], "cni", issued=date(2020, 1, 1))
    rib = deposit_as("jdupont", vault["partage"], "rib")
    active_mandate(vault, scopes=("consult",))
    html = page(vault, "travailleur", demarche="test-demarche")
    assert 'id="agent-scope"' in html
    assert private.UID() not in html and private.title not in html.split("procedure-papers")[1]
    assert rib.title in html
    assert "@@partager" not in html and "@@print-bundle" not in html  # consult only


def test_a_sharing_agent_shares_from_the_shared_space(vault):
    rib = deposit_as("jdupont", vault["partage"], "rib")
    active_mandate(vault, scopes=("consult", "share"))
    html = page(vault, "travailleur", demarche="test-demarche")
    assert f"{vault['partage'].absolute_url()}/@@partager?uids={rib.UID()}" in html
    assert "@@print-bundle" not in html


def test_the_page_refuses_strangers_and_unknown_procedures(vault):
    make_agent("autre-agent")
    with pytest.raises(Unauthorized):
        page(vault, "autre-agent")
    with pytest.raises(NotFound):
        page(vault, "jdupont", demarche="inconnue")


# --- The control panel ----------------------------------------------------------


@pytest.fixture
def layer_request(portal):
    alsoProvides(portal.REQUEST, ICcasVaultLayer)
    return portal.REQUEST


def test_control_panel_lists_every_checklist(portal, layer_request):
    make_user("archiviste", ["RecordsManager"])
    set_enabled("domiciliation", False)
    layer_request["LANGUAGE"] = "fr"
    with api.env.adopt_user(username="archiviste"):
        html = portal.restrictedTraverse("@@ccas-checklists")()
    assert all(f'id="checklist-{checklist_id}"' in html for checklist_id in PRELOADED)
    assert "<strong>Dossier RSA</strong>" in html
    assert "@@ccas-checklists-edit/domiciliation" in html
    assert "@@ccas-checklists-add" in html


def test_edit_form_of_an_unknown_checklist_is_not_found(portal, layer_request):
    with api.env.adopt_roles(["RecordsManager"]):
        view = portal.restrictedTraverse("@@ccas-checklists-edit")
    with pytest.raises(NotFound):
        view.publishTraverse(layer_request, "inconnue")
    with pytest.raises(NotFound):
        view()


@pytest.mark.parametrize("view", ["ccas-checklists", "ccas-checklists-add", "ccas-checklists-edit"])
@pytest.mark.parametrize("role", ["VaultAgent", "Beneficiary", None])
def test_control_panel_is_refused_to_others(portal, layer_request, view, role):
    if role is None:
        context = api.env.adopt_roles(["Anonymous"])
    else:
        make_user("quelquun", [role])
        context = api.env.adopt_user(username="quelquun")
    with context, pytest.raises(Unauthorized):
        portal.restrictedTraverse(f"@@{view}")


def test_configlet_is_registered_for_the_settings_permission(portal):
    configlet = api.portal.get_tool("portal_controlpanel").getActionObject(
        "Products/ccas-checklists"
    )
    assert configlet.permissions == ("ccas.vault: Manage settings",)
    assert configlet.title == "Procedure checklists"


@pytest.fixture
def manager_browser(functional_app, functional_portal):
    functional_portal.acl_users.userFolderAddUser("archiviste", PASSWORD, ["RecordsManager"], [])
    transaction.commit()
    browser = Browser(functional_app)
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic archiviste:{PASSWORD}")
    return browser


def test_records_manager_adds_edits_and_disables_a_checklist(functional_portal, manager_browser):
    browser = manager_browser
    portal_url = functional_portal.absolute_url()
    browser.open(f"{portal_url}/@@ccas-checklists")
    browser.getLink(id="add-checklist").click()
    browser.getControl(name="form.widgets.checklist_id").value = "dossier-apl"
    browser.getControl(name="form.widgets.title_fr").value = "Dossier APL"
    browser.getControl(name="form.widgets.title_en").value = "Housing benefit application"
    browser.getControl(
        name="form.widgets.items"
    ).value = "cni | passeport\nrib\n\nbulletin-salaire:3 mois"
    browser.getControl(name="form.buttons.add").click()
    assert browser.url.endswith("/@@ccas-checklists")
    assert 'id="checklist-dossier-apl"' in browser.contents
    transaction.begin()
    info = get_checklist("dossier-apl")
    assert [i.as_text() for i in info.items] == ["cni|passeport", "rib", "bulletin-salaire:3m"]

    browser.open(f"{portal_url}/@@ccas-checklists-edit/dossier-apl")
    assert browser.getControl(name="_authenticator").value
    browser.getControl(name="form.widgets.items").value = "rib:90j"
    browser.getControl(name="form.buttons.save").click()
    transaction.begin()
    assert [i.as_text() for i in get_checklist("dossier-apl").items] == ["rib:90d"]

    browser.open(f"{portal_url}/@@ccas-checklists-edit/dossier-apl")
    browser.getControl(name="form.buttons.disable").click()
    transaction.begin()
    assert not get_checklist("dossier-apl").enabled
    browser.open(f"{portal_url}/@@ccas-checklists-edit/dossier-apl")
    browser.getControl(name="form.buttons.enable").click()
    transaction.begin()
    assert get_checklist("dossier-apl").enabled


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("cni\ncarte-bleue", "Line 2: “carte-bleue” is not a document type identifier."),
        ("justificatif-domicile:trois mois", "Line 1: write the maximum age as a number"),
        ("", "Add at least one paper, one per line."),
    ],
)
def test_bad_items_are_refused_with_a_clear_message(
    functional_portal, manager_browser, items, message
):
    browser = manager_browser
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-checklists-edit/dossier-rsa")
    browser.getControl(name="form.widgets.items").value = items
    browser.getControl(name="form.buttons.save").click()
    assert message in browser.contents
    assert browser.url.endswith("@@ccas-checklists-edit/dossier-rsa")
    transaction.begin()
    assert get_checklist("dossier-rsa").items[0].type_ids == ("cni", "passeport", "titre-sejour")


def test_a_duplicate_identifier_is_refused(functional_portal, manager_browser):
    browser = manager_browser
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-checklists-add")
    browser.getControl(name="form.widgets.checklist_id").value = "domiciliation"
    browser.getControl(name="form.widgets.title_fr").value = "Doublon"
    browser.getControl(name="form.widgets.items").value = "cni"
    browser.getControl(name="form.buttons.add").click()
    assert "A checklist with this identifier already exists." in browser.contents
    transaction.begin()
    assert get_checklist("domiciliation").title_fr == "Domiciliation"
