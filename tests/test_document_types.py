"""Document types: a registry that records managers configure, preloaded on install."""

from ccas.vault.document_types import add_document_type
from ccas.vault.document_types import DocumentTypeInfo
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import IDocumentType
from ccas.vault.document_types import label
from ccas.vault.document_types import list_document_types
from ccas.vault.document_types import PREFIX
from ccas.vault.document_types import set_enabled
from ccas.vault.document_types import update_document_type
from ccas.vault.document_types import validity_end
from ccas.vault.interfaces import ICcasVaultLayer
from datetime import date
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

PRELOADED = {
    "cni",
    "passeport",
    "titre-sejour",
    "carte-vitale",
    "attestation-droits-sante",
    "attestation-caf",
    "avis-imposition",
    "bulletin-salaire",
    "attestation-france-travail",
    "certificat-travail",
    "livret-famille",
    "justificatif-domicile",
    "attestation-domiciliation",
    "rib",
    "diplome",
    "photo",
    "document-sante",
    "autre",
}


def vocabulary(portal, get_vocabulary, lang):
    portal.REQUEST["LANGUAGE"] = lang
    return get_vocabulary("ccas.vault.DocumentTypes", portal)


# --- The preloaded registry -------------------------------------------------


def test_eighteen_types_are_preloaded_and_enabled(portal):
    types = list_document_types()
    assert {t.id for t in types} == PRELOADED
    assert all(t.enabled for t in types)


def test_types_are_a_collection_of_records_keyed_by_id(portal):
    registry = getUtility(IRegistry)
    collection = registry.collectionOfInterface(IDocumentType, prefix=PREFIX)
    assert set(collection.keys()) == PRELOADED
    assert collection["cni"].validity_months == 180
    assert registry[f"{PREFIX}/cni.label_fr"] == "Carte nationale d'identité"


def test_identity_card_lasts_fifteen_years_with_two_reminders(portal):
    assert get_document_type("cni") == DocumentTypeInfo(
        id="cni",
        label_fr="Carte nationale d'identité",
        label_en="National identity card",
        category="identity",
        validity_months=180,
        reminder_days=(90, 30),
        health=False,
        retention_days_after_closure=0,
        enabled=True,
    )


@pytest.mark.parametrize(
    ("type_id", "category", "months", "reminders", "health"),
    [
        ("passeport", "identity", 120, (90, 30), False),
        ("titre-sejour", "identity", 12, (90, 30, 7), False),
        ("carte-vitale", "health", None, (), False),
        ("attestation-droits-sante", "health", 12, (30,), False),
        ("attestation-caf", "income", 3, (15,), False),
        ("avis-imposition", "income", 12, (30,), False),
        ("bulletin-salaire", "work", 3, (), False),
        ("attestation-france-travail", "work", 3, (15,), False),
        ("certificat-travail", "work", None, (), False),
        ("livret-famille", "family", None, (), False),
        ("justificatif-domicile", "housing", 3, (15,), False),
        ("attestation-domiciliation", "housing", 12, (30, 7), False),
        ("rib", "bank", None, (), False),
        ("diplome", "education", None, (), False),
        ("photo", "personal", None, (), False),
        ("document-sante", "health", None, (), True),
        ("autre", "other", None, (), False),
    ],
)
def test_preloaded_values(portal, type_id, category, months, reminders, health):
    info = get_document_type(type_id)
    assert (info.category, info.validity_months, info.reminder_days, info.health) == (
        category,
        months,
        reminders,
        health,
    )
    assert info.label_fr
    assert info.label_en
    assert info.retention_days_after_closure == 0


def test_only_medical_documents_trigger_the_health_warning(portal):
    flagged = [t.id for t in list_document_types() if t.health]
    assert flagged == ["document-sante"]


def test_types_are_listed_by_french_label_ignoring_accents_and_case(portal):
    add_document_type("echeancier", label_fr="Échéancier de dette", label_en="Debt schedule")
    labels = [t.label_fr for t in list_document_types()]
    assert labels[0] == "Attestation CAF"
    assert labels[labels.index("Diplôme") + 1] == "Échéancier de dette"
    assert labels.index("Carte nationale d'identité") < labels.index("Carte Vitale")


def test_unknown_or_malformed_types_are_none(portal):
    assert get_document_type("inconnu") is None
    assert get_document_type("../cni") is None
    assert get_document_type("") is None
    assert validity_end("inconnu", date(2024, 1, 1)) is None


# --- Labels and validity ----------------------------------------------------


def test_label_in_french_or_english(portal):
    assert label("passeport", "fr") == "Passeport"
    assert label("passeport", "en") == "Passport"
    assert label("inconnu", "fr") == "inconnu"


def test_label_follows_the_request_language_french_by_default(portal):
    portal.REQUEST["LANGUAGE"] = "en"
    assert label("livret-famille") == "Family record book"
    portal.REQUEST["LANGUAGE"] = "de"
    assert label("livret-famille") == "Livret de famille"


@pytest.mark.parametrize(
    ("type_id", "issued", "end"),
    [
        ("cni", date(2020, 3, 15), date(2035, 3, 15)),
        ("attestation-caf", date(2024, 11, 30), date(2025, 2, 28)),
        ("avis-imposition", date(2024, 2, 29), date(2025, 2, 28)),
        ("titre-sejour", date(2024, 12, 31), date(2025, 12, 31)),
    ],
)
def test_validity_end_adds_the_default_validity(portal, type_id, issued, end):
    assert validity_end(type_id, issued) == end


def test_validity_end_is_clamped_to_the_end_of_a_shorter_month(portal):
    update_document_type("autre", validity_months=1)
    assert validity_end("autre", date(2025, 1, 31)) == date(2025, 2, 28)
    assert validity_end("autre", date(2024, 1, 31)) == date(2024, 2, 29)


def test_papers_without_validity_never_expire(portal):
    assert validity_end("photo", date(2024, 1, 1)) is None
    assert validity_end("cni", None) is None


# --- Vocabularies -----------------------------------------------------------


def test_vocabulary_tokens_are_ids_and_titles_french(portal, get_vocabulary):
    vocab = vocabulary(portal, get_vocabulary, "fr")
    assert {term.token for term in vocab} == PRELOADED
    assert vocab.getTerm("cni").title == "Carte nationale d'identité"
    assert vocab.getTermByToken("titre-sejour").value == "titre-sejour"


def test_vocabulary_titles_english_when_negotiated(portal, get_vocabulary):
    vocab = vocabulary(portal, get_vocabulary, "en")
    assert vocab.getTerm("cni").title == "National identity card"
    assert vocab.getTerm("bulletin-salaire").title == "Payslip"


def test_vocabulary_is_sorted_by_displayed_title(portal, get_vocabulary):
    titles = [term.title for term in vocabulary(portal, get_vocabulary, "en")]
    assert titles == sorted(titles, key=str.casefold)


def test_disabled_type_leaves_the_vocabulary_but_stays_readable(portal, get_vocabulary):
    set_enabled("diplome", False)
    assert "diplome" not in vocabulary(portal, get_vocabulary, "fr")
    assert "diplome" not in {t.id for t in list_document_types()}
    assert "diplome" in {t.id for t in list_document_types(include_disabled=True)}
    info = get_document_type("diplome")
    assert info.label_fr == "Diplôme"
    assert not info.enabled


def test_a_document_keeps_its_disabled_type_in_its_own_vocabulary(portal, get_vocabulary):
    class Document:
        document_type = "diplome"

    set_enabled("diplome", False)
    portal.REQUEST["LANGUAGE"] = "fr"
    assert "diplome" in get_vocabulary("ccas.vault.DocumentTypes", Document())
    assert "diplome" not in get_vocabulary("ccas.vault.DocumentTypes", portal)


def test_new_type_joins_the_vocabulary(portal, get_vocabulary):
    add_document_type(
        "attestation-msa", label_fr="Attestation MSA", label_en="MSA certificate", category="income"
    )
    info = get_document_type("attestation-msa")
    assert info.enabled
    assert info.reminder_days == ()
    assert info.validity_months is None
    assert vocabulary(portal, get_vocabulary, "fr").getTerm("attestation-msa").title == (
        "Attestation MSA"
    )


def test_ids_are_unique_slugs(portal):
    with pytest.raises(ValueError):
        add_document_type("cni", label_fr="Doublon", label_en="Duplicate")
    with pytest.raises(ValueError):
        add_document_type("Carte Identité", label_fr="X", label_en="X")


def test_category_vocabulary(portal, get_vocabulary):
    vocab = get_vocabulary("ccas.vault.DocumentCategories", portal)
    assert [term.token for term in vocab] == [
        "identity",
        "health",
        "family",
        "income",
        "housing",
        "work",
        "bank",
        "education",
        "personal",
        "other",
    ]


def test_category_must_come_from_the_fixed_list(portal):
    with pytest.raises(ConstraintNotSatisfied):
        update_document_type("autre", category="astrologie")


def test_reimporting_the_profile_restores_the_preload(portal):
    """Documented limitation: upgrades must not re-run the registry import step."""
    update_document_type("attestation-caf", validity_months=6)
    setup = api.portal.get_tool("portal_setup")
    setup.runImportStepFromProfile("profile-ccas.vault:default", "plone.app.registry")
    assert get_document_type("attestation-caf").validity_months == 3


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


def test_control_panel_lists_every_type_for_a_records_manager(portal, layer_request, make_user):
    make_user("archiviste", "RecordsManager")
    set_enabled("diplome", False)
    layer_request["LANGUAGE"] = "fr"
    with api.env.adopt_user(username="archiviste"):
        html = portal.restrictedTraverse("@@ccas-document-types")()
    assert all(f'id="document-type-{type_id}"' in html for type_id in PRELOADED)
    assert "<strong>Carte nationale d'identité</strong>" in html
    assert "@@ccas-document-types-edit/document-sante" in html
    assert "@@ccas-document-types-add" in html


def test_edit_form_of_one_type_for_a_records_manager(portal, layer_request, make_user):
    make_user("archiviste", "RecordsManager")
    with api.env.adopt_user(username="archiviste"):
        view = portal.restrictedTraverse("@@ccas-document-types-edit")
        assert view.publishTraverse(layer_request, "cni") is view
        html = view()
    assert 'name="form.widgets.validity_months"' in html
    assert 'value="180"' in html
    assert 'name="form.buttons.disable"' in html
    assert 'name="form.buttons.delete"' not in html
    assert 'name="_authenticator"' in html


def test_edit_form_of_an_unknown_type_is_not_found(portal, layer_request):
    with api.env.adopt_roles(["RecordsManager"]):
        view = portal.restrictedTraverse("@@ccas-document-types-edit")
    with pytest.raises(NotFound):
        view.publishTraverse(layer_request, "inconnu")
    with pytest.raises(NotFound):
        view()


@pytest.mark.parametrize("view", ["ccas-document-types", "ccas-document-types-add"])
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
        "Products/ccas-document-types"
    )
    assert configlet.permissions == ("ccas.vault: Manage settings",)
    assert configlet.title == "Document types"


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


def test_records_manager_changes_a_validity_through_the_form(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    portal_url = functional_portal.absolute_url()
    browser.open(f"{portal_url}/@@ccas-document-types")
    browser.getLink(url="@@ccas-document-types-edit/attestation-caf").click()
    assert browser.getControl(name="form.widgets.validity_months").value == "3"
    assert browser.getControl(name="_authenticator").value
    browser.getControl(name="form.widgets.validity_months").value = "6"
    browser.getControl(name="form.widgets.reminder_days").value = "7\n30"
    browser.getControl(name="form.buttons.save").click()
    # A new validity leads to recomputing the papers already stored (issue 20, item 8).
    assert browser.url.endswith("/@@ccas-document-types-recompute/attestation-caf")
    transaction.begin()
    info = get_document_type("attestation-caf")
    assert (info.validity_months, info.reminder_days) == (6, (30, 7))
    # Other changes go back to the listing.
    browser.open(f"{portal_url}/@@ccas-document-types-edit/attestation-caf")
    browser.getControl(name="form.widgets.reminder_days").value = "15"
    browser.getControl(name="form.buttons.save").click()
    assert browser.url.endswith("/@@ccas-document-types")


def test_records_manager_adds_and_disables_a_type(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    portal_url = functional_portal.absolute_url()
    browser.open(f"{portal_url}/@@ccas-document-types-add")
    browser.getControl(name="form.widgets.type_id").value = "attestation-msa"
    browser.getControl(name="form.widgets.label_fr").value = "Attestation MSA"
    browser.getControl(name="form.widgets.label_en").value = "MSA certificate"
    browser.getControl(name="form.widgets.category:list").value = ["income"]
    browser.getControl(name="form.widgets.validity_months").value = "12"
    browser.getControl(name="form.buttons.add").click()
    assert "attestation-msa" in browser.contents

    browser.open(f"{portal_url}/@@ccas-document-types-edit/attestation-msa")
    browser.getControl(name="form.buttons.disable").click()
    transaction.begin()
    info = get_document_type("attestation-msa")
    assert (info.label_en, info.category, info.validity_months, info.enabled) == (
        "MSA certificate",
        "income",
        12,
        False,
    )


def test_an_existing_id_cannot_be_added_twice(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-document-types-add")
    browser.getControl(name="form.widgets.type_id").value = "cni"
    browser.getControl(name="form.widgets.label_fr").value = "Autre carte"
    browser.getControl(name="form.widgets.label_en").value = "Other card"
    browser.getControl(name="form.buttons.add").click()
    assert "already exists" in browser.contents
    transaction.begin()
    assert get_document_type("cni").label_fr == "Carte nationale d'identité"


def test_a_forged_post_without_csrf_token_changes_nothing(functional_portal, browser_as):
    browser = browser_as("RecordsManager")
    url = f"{functional_portal.absolute_url()}/@@ccas-document-types-edit/attestation-caf"
    data = (
        "form.widgets.label_fr=Attestation+CAF&form.widgets.label_en=CAF"
        "&form.widgets.category:list=income&form.widgets.validity_months=24"
        "&form.buttons.save=Save"
    )
    with pytest.raises(Forbidden):
        browser.post(url, data)
    transaction.begin()
    assert get_document_type("attestation-caf").validity_months == 3


@pytest.mark.parametrize("role", ["VaultAgent", None])
def test_others_cannot_reach_the_edit_form(functional_portal, browser_as, role):
    """Plone answers Unauthorized with a redirection to its login page."""
    browser = browser_as(role)
    browser.handleErrors = True
    browser.raiseHttpErrors = False
    browser.followRedirects = False
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-document-types-edit/attestation-caf")
    assert browser.headers["Status"].startswith("302")
    assert "/require_login?" in browser.headers["Location"]
    assert b"form.widgets" not in browser.contents
