"""Opening a vault with a person who may have no e-mail address."""

from AccessControl import Unauthorized
from ccas.vault.api import vaults
from ccas.vault.api.errors import DuplicateVault
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from datetime import date
from plone import api
from plone.namedfile.file import NamedBlobFile
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest


@pytest.fixture
def agent(portal):
    return make_agent("accueil")


def test_agent_opens_a_vault_for_a_person_without_email(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    assert api.content.get_state(vault) == "awaiting_consent"
    assert vault.owner_login == "jdupont"
    assert vault.email is None
    assert sorted(vault.objectIds()) == ["partage", "prive"]
    assert portal.acl_users.authenticate("jdupont", PASSWORD, portal.REQUEST)
    assert "Beneficiary" in api.user.get_roles(username="jdupont")


def test_the_person_holds_the_owner_role_and_the_agent_holds_nothing(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    assert vault.get_local_roles_for_userid("jdupont") == ("VaultOwner",)
    assert vault.get_local_roles_for_userid("accueil") == ()
    assert "accueil" not in [user for user, _roles in vault.get_local_roles()]


def test_vault_ids_say_nothing_about_the_person(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    assert "dupont" not in vault.getId()
    assert vault.getId().startswith("c-")


def test_opening_is_traced(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    (entry,) = history.entries(vault)
    assert entry.action == "open"
    assert entry.actor == "accueil"


def test_only_agents_may_open_a_vault(portal):
    make_user("curieux")
    with api.env.adopt_user(username="curieux"), pytest.raises(Unauthorized):
        vaults.open_vault(
            first_name="A",
            last_name="B",
            birth_date=date(2000, 1, 1),
            login="ab",
            password=PASSWORD,
        )
    assert api.user.get(username="ab") is None


def test_a_second_vault_for_the_same_person_is_refused(portal, agent):
    first = open_vault_as("accueil", "jdupont")
    with pytest.raises(DuplicateVault) as refused:
        open_vault_as("accueil", "jdupont2", first="jean", last="DUPONT")
    assert refused.value.vault_ids == (first.getId(),)
    assert "existe déjà" in refused.value.message_fr
    assert api.user.get(username="jdupont2") is None


def test_taken_login_is_refused_and_nothing_is_created(portal, agent):
    make_user("jdupont")
    before = len(portal["coffres"].objectIds())
    with pytest.raises(VaultError) as refused:
        open_vault_as("accueil", "jdupont")
    assert refused.value.code == "login_taken"
    assert len(portal["coffres"].objectIds()) == before


def test_short_password_is_refused_with_a_french_message(portal, agent):
    with api.env.adopt_user(username="accueil"), pytest.raises(VaultError) as refused:
        vaults.open_vault(
            first_name="A", last_name="B", birth_date=date(2000, 1, 1), login="ab", password="court"
        )
    assert refused.value.code == "account_refused"
    assert "8 caractères" in refused.value.message_fr
    assert not portal["coffres"].objectIds()


def test_agents_find_a_vault_by_name_and_birth_date_only(portal, agent):
    vault = open_vault_as("accueil", "jdupont", phone="0600000000")
    with api.env.adopt_user(username="accueil"):
        found = vaults.find_vaults("dupont", birth_date=date(1980, 5, 17))
    assert found == [
        {
            "id": vault.getId(),
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-05-17",
        }
    ]


def test_beneficiaries_cannot_search_vaults(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    with api.env.adopt_user(username=vault.owner_login), pytest.raises(Unauthorized):
        vaults.find_vaults("dupont")


def test_electronic_consent_opens_the_vault(portal, agent):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", receive_ccas_letters=True))
    assert api.content.get_state(vault) == "open"
    (consent,) = vault.consents
    assert consent["method"] == "electronic"
    assert consent["recorded_by"] == "jdupont"
    assert [entry.action for entry in history.entries(vault)] == ["open", "consent"]


def test_an_agent_cannot_give_electronic_consent_for_the_person(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    with api.env.adopt_user(username="accueil"), pytest.raises(VaultError) as refused:
        vaults.record_consent(vault, method="electronic")
    assert refused.value.code == "not_the_owner"
    assert api.content.get_state(vault) == "awaiting_consent"


def test_paper_consent_needs_the_scanned_form(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    with api.env.adopt_user(username="accueil"):
        with pytest.raises(VaultError):
            vaults.record_consent(vault, method="paper")
        form = NamedBlobFile(b"%PDF-1.4 scanned form", "application/pdf", "accord.pdf")
        vaults.record_consent(vault, method="paper", form=form, receive_ccas_letters=True)
    assert api.content.get_state(vault) == "open"
    assert vault.receive_ccas_letters is True
    assert vault.consents[0]["form"].filename == "accord.pdf"


def test_the_information_notice_is_recorded_as_delivered(portal, agent):
    vault = open_vault_as("accueil", "jdupont")
    assert vault.information_notice["delivered_by"] == "accueil"
    assert vault.information_notice["version"] == vaults.NOTICE_VERSION


@pytest.mark.parametrize(
    ("first", "last", "login"),
    [
        ("Jean", "Dupont", "jdupont"),
        ("Jean-Pierre", "N'Diaye", "jndiaye"),
        ("Élodie", "Lefèvre Martin", "elefevremartin"),
    ],
)
def test_a_login_is_suggested_from_the_names(portal, first, last, login):
    assert vaults.suggest_login(first, last) == login


def test_a_suggested_login_is_free(portal):
    make_user("jdupont")
    make_user("jdupont2")
    assert vaults.suggest_login("Jean", "Dupont") == "jdupont3"


@pytest.mark.parametrize("transition", ["consent", "request_closure"])
def test_vault_transitions_only_go_through_the_api(portal, agent, transition):
    """@workflow (or any direct transition) cannot skip the consent record or the closing dates."""
    from plone.api.exc import InvalidParameterError

    vault = open_vault_as("accueil", "jdupont")
    for login in ("jdupont", "accueil"):
        with api.env.adopt_user(username=login), pytest.raises(InvalidParameterError):
            api.content.transition(obj=vault, transition=transition)
    assert api.content.get_state(vault) == "awaiting_consent"
