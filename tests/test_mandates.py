"""Mandates: the person names agents and scopes; the roster and the access follow, at once."""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault.api import mandates
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from ccas.vault.workspace import forget_cached_local_roles
from ccas.vault.workspace import MandateWorkspace
from datetime import date
from datetime import datetime
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import END
from vaults import make_agent
from vaults import open_vault_as
from vaults import START
import pytest


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("autre-agent")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"])
    deposit_as("jdupont", vault["prive"])
    return vault


def can(login, permission, obj):
    forget_cached_local_roles(obj.REQUEST)  # a new check, as in a new request
    with acting_as(login):
        return bool(getSecurityManager().checkPermission(permission, obj))


def shared_paper(vault):
    return vault["partage"].objectValues()[0]


def private_paper(vault):
    return vault["prive"].objectValues()[0]


def test_a_mandate_becomes_active_once_everybody_signed(vault, frozen):
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=["consult"], start=START, end=END
        )
        assert api.content.get_state(mandate) == "draft"
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    assert api.content.get_state(mandate) == "awaiting_signatures"
    assert not can("travailleur", "View", shared_paper(vault))
    with acting_as("travailleur"):
        mandates.sign_as_agent(mandate)
    assert api.content.get_state(mandate) == "active"
    assert can("travailleur", "View", shared_paper(vault))


def test_the_roster_is_the_active_mandates(vault, frozen):
    """travailleur is a CCAS agent, and the CCAS may certify: deposit brings certify."""
    active_mandate(vault, scopes=("consult", "deposit"))
    workspace = MandateWorkspace(vault["partage"])
    assert set(workspace.members) == {"travailleur"}
    assert set(workspace["travailleur"].groups) == {"consult", "deposit", "certify"}


def test_deposit_brings_certify_only_for_an_organisation_that_may_certify(vault, frozen):
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group

    ensure_group("caf-agents", "Agents de la CAF", ["VaultAgent"])
    ensure_account("julie", "Mot-de-passe-long-1", "Julie", groups=["caf-agents"])
    active_mandate(vault, agents=("julie",), scopes=("deposit",))
    assert set(MandateWorkspace(vault["partage"])["julie"].groups) == {"deposit"}
    assert not can("julie", "ccas.vault: Certify document", shared_paper(vault))


def test_consult_shows_metadata_and_preview_not_the_original(vault, frozen):
    active_mandate(vault, scopes=("consult",))
    paper = shared_paper(vault)
    assert can("travailleur", "View", paper)
    assert can("travailleur", "ccas.vault: View preview", paper)
    assert not can("travailleur", "ccas.vault: Download original", paper)


def test_nothing_of_the_private_space_is_visible_through_a_mandate(vault, frozen):
    active_mandate(vault, scopes=("consult", "extract", "deposit", "share", "account"))
    for obj in (vault["prive"], private_paper(vault)):
        assert not can("travailleur", "View", obj)
        assert not can("travailleur", "ccas.vault: Download original", obj)
    assert not can("travailleur", "ccas.vault: Deposit document", vault["prive"])


def test_an_agent_not_named_gets_nothing(vault, frozen):
    active_mandate(vault)
    assert not can("autre-agent", "View", shared_paper(vault))


def test_revoking_removes_access_at_once(vault, frozen):
    mandate = active_mandate(vault)
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    assert api.content.get_state(mandate) == "revoked"
    assert not can("travailleur", "View", shared_paper(vault))
    assert not MandateWorkspace(vault["partage"]).members
    assert "changez votre mot de passe" in vault.pending_notices[-1]["text"]
    assert history.entries(vault)[-1].action == "mandate_revoked"


def test_an_agent_withdraws_themself(vault, frozen):
    mandate = active_mandate(vault, agents=("travailleur", "accueil"))
    with acting_as("travailleur"):
        mandates.withdraw(mandate)
    assert api.content.get_state(mandate) == "active"
    assert mandate.agents == ["accueil"]
    assert not can("travailleur", "View", shared_paper(vault))
    assert can("accueil", "View", shared_paper(vault))
    with acting_as("accueil"):
        mandates.withdraw(mandate)
    assert api.content.get_state(mandate) == "revoked"


def test_access_stops_exactly_at_the_end_even_before_the_clock_runs(vault, frozen):
    mandate = active_mandate(vault, end=date(2027, 1, 31))
    frozen(datetime(2027, 1, 31, 23, 59, 59))
    assert can("travailleur", "View", shared_paper(vault))
    frozen(datetime(2027, 2, 1, 0, 0, 0))
    assert api.content.get_state(mandate) == "active"  # the clock has not run yet
    assert not can("travailleur", "View", shared_paper(vault))


def test_the_clock_expires_mandates_and_updates_the_roster(vault, frozen, portal):
    mandate = active_mandate(vault, end=date(2027, 1, 31))
    frozen(datetime(2027, 1, 31, 23, 59, 59))
    from ccas.vault.security import as_system

    with as_system():
        assert mandates.expire_mandates(portal) == 0
    frozen(datetime(2027, 2, 1, 0, 0, 0))
    with as_system():
        assert mandates.expire_mandates(portal) == 1
        assert mandates.expire_mandates(portal) == 0  # idempotent
    assert api.content.get_state(mandate) == "expired"
    assert not MandateWorkspace(vault["partage"]).members
    assert history.entries(vault)[-1].action == "mandate_expired"


def test_a_mandate_not_started_gives_nothing_yet(vault, frozen):
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=["consult"], start=date(2027, 1, 1), end=END
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    with acting_as("travailleur"):
        mandates.sign_as_agent(mandate)
    assert not can("travailleur", "View", shared_paper(vault))
    frozen(datetime(2027, 1, 1, 0, 0))
    assert can("travailleur", "View", shared_paper(vault))


def test_only_the_person_creates_a_mandate(vault, frozen):
    with acting_as("travailleur"), pytest.raises(Unauthorized):
        mandates.create_mandate(vault, agents=["travailleur"], scopes=["consult"])


def test_only_agents_can_be_named(vault, frozen):
    api.user.create(email="x@example.org", username="voisin", password="Secret-123456")
    with acting_as("jdupont"), pytest.raises(VaultError):
        mandates.create_mandate(vault, agents=["voisin"], scopes=["consult"])


def test_the_default_mandate_lasts_twelve_months(vault, frozen):
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(vault, agents=["travailleur"], scopes=["consult"])
    assert (mandate.start, mandate.end) == (date(2026, 11, 23), date(2027, 11, 23))
    assert mandate.purpose == "Faciliter l'accès aux droits"


def test_a_mandate_can_run_until_revoked(vault, frozen):
    active_mandate(vault, end=None)
    frozen(datetime(2040, 1, 1, 12, 0))
    assert can("travailleur", "View", shared_paper(vault))


def test_a_global_grant_of_a_mandate_role_gives_nothing(vault, frozen):
    api.user.grant_roles(username="autre-agent", roles=["VaultReader", "VaultDownloader"])
    assert not can("autre-agent", "View", shared_paper(vault))


def test_the_agent_index_follows_the_roster(vault, frozen):
    from ccas.vault.workspace import vaults_of_agent

    directory = vault.aq_parent
    mandate = active_mandate(vault, scopes=("consult",))
    assert set(vaults_of_agent(directory, "travailleur")) == {vault.getId()}
    assert vaults_of_agent(directory, "accueil") == {}
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    assert vaults_of_agent(directory, "travailleur") == {}
