"""Personal mandates: a relative or trusted person as mandatary (issue 24, decision 0049).

A kind of the existing mandate: the same roster, windows, revocation and expiry;
scopes among consult, deposit and share only; the mandatary accepts with an
account of their own through the invitation link.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.accounts import ensure_account
from ccas.vault.api import mandates
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from ccas.vault.workspace import forget_cached_local_roles
from datetime import date
from datetime import datetime
from plone import api
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    ensure_account("fils", PASSWORD, "Marc Dupont")
    ensure_account("voisine", PASSWORD, "Nadia Voisine")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"])
    deposit_as("jdupont", vault["prive"])
    return vault


def can(login, permission, obj):
    forget_cached_local_roles(obj.REQUEST)
    with acting_as(login):
        return bool(getSecurityManager().checkPermission(permission, obj))


def shared_paper(vault):
    return vault["partage"].objectValues()[0]


def private_paper(vault):
    return vault["prive"].objectValues()[0]


def name_son(vault, scopes=("consult", "deposit"), months=3):
    with acting_as("jdupont"):
        mandate, code = mandates.name_mandatary(
            vault, name="Marc Dupont", relation="mon fils", scopes=scopes, months=months
        )
        mandates.sign_as_person(mandate)
    return mandate, code


def test_the_son_accepts_and_gets_the_shared_papers_only(vault):
    mandate, code = name_son(vault)
    assert mandates.is_personal(mandate)
    assert api.content.get_state(mandate) == "awaiting_signatures"
    assert mandate.end == date(2027, 2, 23)
    assert not can("fils", permissions.VIEW_PREVIEW, shared_paper(vault))
    with acting_as("fils"):
        assert mandates.invited_mandate(code).getId() == mandate.getId()
        mandates.accept_invitation(code, agreed=True)
    assert api.content.get_state(mandate) == "active"
    assert mandate.agents == ["fils"]
    assert mandates.invited_mandate(code) is None, "the link serves once"
    assert can("fils", permissions.VIEW_PREVIEW, shared_paper(vault))
    assert can("fils", permissions.DEPOSIT, vault["partage"])
    assert not can("fils", permissions.DOWNLOAD_ORIGINAL, shared_paper(vault))
    assert not can("fils", permissions.CERTIFY, shared_paper(vault))
    assert not can("fils", permissions.SHARE, shared_paper(vault))
    for permission in ("View", permissions.VIEW_PREVIEW, permissions.DOWNLOAD_ORIGINAL):
        assert not can("fils", permission, private_paper(vault))
    assert not can("fils", permissions.DEPOSIT, vault["prive"])
    with acting_as("fils"):
        (item,) = mandates.helped_vaults()
        assert item["relation"] == "mon fils" and item["scopes"] == ("consult", "deposit")
        assert item["until"] == date(2027, 2, 23)
    signed = [e for e in history.entries(vault) if e.action == "mandate_signed"]
    assert signed[-1].actor == "fils" and signed[-1].details["relation"] == "mon fils"
    assert mandates.relations_of(vault) == {"fils": "mon fils"}
    assert "Marc Dupont a signé le mandat" in vault.pending_notices[-1]["text"]


def test_the_mother_stops_it_and_access_ends_at_once(vault):
    mandate, code = name_son(vault)
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    assert not can("fils", permissions.VIEW_PREVIEW, shared_paper(vault))
    assert not can("fils", permissions.DEPOSIT, vault["partage"])
    with acting_as("fils"):
        assert mandates.helped_vaults() == []


def test_the_clock_ends_it(vault, frozen):
    mandate, code = name_son(vault, months=1)
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
    frozen(datetime(2026, 12, 23, 23, 59, 59))
    assert can("fils", permissions.VIEW_PREVIEW, shared_paper(vault))
    frozen(datetime(2026, 12, 24, 0, 0, 0))
    assert not can("fils", permissions.VIEW_PREVIEW, shared_paper(vault)), "past its end"
    with acting_as("fils"):
        assert mandates.helped_vaults() == []
    assert mandates.expire_mandates(api.portal.get()) == 1
    assert api.content.get_state(mandate) == "expired"


@pytest.mark.parametrize("scope", ["extract", "account", "certify", "nonsense"])
def test_a_relative_never_gets_originals_certification_or_account_help(vault, scope):
    with acting_as("jdupont"), pytest.raises(VaultError) as refused:
        mandates.name_mandatary(vault, name="Marc", relation="fils", scopes=[scope, "consult"])
    assert refused.value.code == "scope_not_for_a_relative"
    assert not mandates.mandates_of(vault)


@pytest.mark.parametrize(
    ("name", "relation", "code"),
    [("", "fils", "no_name"), ("Marc", "  ", "no_relation"), ("M" * 101, "fils", "no_name")],
)
def test_bad_input_gets_a_french_refusal_and_nothing_is_created(vault, name, relation, code):
    with acting_as("jdupont"), pytest.raises(VaultError) as refused:
        mandates.name_mandatary(vault, name=name, relation=relation, scopes=["consult"])
    assert refused.value.code == code and refused.value.message_fr
    assert not mandates.mandates_of(vault)


@pytest.mark.parametrize("months", [0, -3, "3", True])
def test_a_length_that_is_not_a_number_of_months_is_refused(vault, months):
    with acting_as("jdupont"), pytest.raises(VaultError) as refused:
        mandates.name_mandatary(
            vault, name="Marc", relation="fils", scopes=["consult"], months=months
        )
    assert refused.value.code == "bad_dates"
    assert not mandates.mandates_of(vault)


def test_only_the_owner_names_a_mandatary(vault):
    for login in ("fils", "accueil"):
        with acting_as(login), pytest.raises(Unauthorized):
            mandates.name_mandatary(vault, name="X", relation="ami", scopes=["consult"])


def test_a_work_account_or_the_person_cannot_accept(vault):
    _mandate, code = name_son(vault)
    for login, why in (("accueil", "staff_account"), ("jdupont", "own_vault")):
        with acting_as(login), pytest.raises(VaultError) as refused:
            mandates.accept_invitation(code, agreed=True)
        assert refused.value.code == why
    with pytest.raises(VaultError) as refused, acting_as("fils"):
        mandates.accept_invitation(code)
    assert refused.value.code == "notice_not_agreed"
    with pytest.raises(VaultError) as refused, acting_as("fils"):
        mandates.accept_invitation("not-the-code-at-all", agreed=True)
    assert refused.value.code == "invitation_not_valid"


def test_nothing_before_the_person_signs_an_agents_proposal(vault):
    with acting_as("accueil"):
        mandate, code = mandates.propose_personal_mandate(
            vault, name="Nadia", relation="ma voisine", scopes=["consult"], months=2
        )
    with acting_as("voisine"):
        mandates.accept_invitation(code, agreed=True)
    assert api.content.get_state(mandate) == "awaiting_signatures"
    assert not can("voisine", permissions.VIEW_PREVIEW, shared_paper(vault))
    assert not can("accueil", permissions.VIEW_PREVIEW, shared_paper(vault))
    with acting_as("jdupont"):
        mandates.sign_as_person(mandate)
    assert api.content.get_state(mandate) == "active"
    assert can("voisine", permissions.VIEW_PREVIEW, shared_paper(vault))
    assert not can("accueil", permissions.VIEW_PREVIEW, shared_paper(vault)), "the agent: nothing"


def test_revoking_before_acceptance_kills_the_link(vault):
    mandate, code = name_son(vault)
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    with acting_as("fils"), pytest.raises(VaultError):
        mandates.accept_invitation(code, agreed=True)


def test_another_persons_vault_gives_nothing(vault):
    other = consent_as_owner(open_vault_as("accueil", "autre", first="Alice", last="Autre"))
    deposit_as("autre", other["partage"])
    _mandate, code = name_son(vault)
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
    paper = other["partage"].objectValues()[0]
    assert not can("fils", permissions.VIEW_METADATA, paper)
    assert not can("fils", permissions.DEPOSIT, other["partage"])
    with acting_as("fils"):
        assert mandates.helper_scopes(other) == ((), None)


def test_the_indicators_count_personal_mandates_apart(vault):
    from ccas.vault.indicators import compute
    from ccas.vault.indicators.store import now_month

    month = now_month()

    def count(result, indicator, month):  # the raw number (one vault here: masked on the page)
        return result.values.get((indicator, month, compute.ALL), 0)

    mandate, code = name_son(vault)
    _never, _unused = name_son(vault)  # the person signed, the relative never accepted
    with acting_as("jdupont"):
        mandates.revoke(_never)
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
    result = compute.compute(month, month)
    assert count(result, "mandates_signed_personal", month) == 1
    assert count(result, "mandates_active_personal", month) == 1
    assert count(result, "mandates_signed", month) == 0
    assert count(result, "mandates_active", month) == 0
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    result = compute.compute(month, month)
    assert count(result, "mandates_revoked_personal", month) == 1
    assert count(result, "mandates_active_personal", month) == 0
    assert count(result, "mandates_revoked", month) == 0


def test_the_control_report_checks_what_the_relative_did(vault):
    from ccas.vault.api import control_report
    from ccas.vault.api import documents
    from vaults import pdf_bytes

    mandate, code = name_son(vault)
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
        documents.deposit(
            vault["partage"],
            data=pdf_bytes("Quittance"),
            filename="quittance.pdf",
            document_type="attestation-caf",
        )
    with acting_as("jdupont"):
        rows = control_report.mandate_report(mandate)
    deposit = [row for row in rows if row["action"] == "deposit"]
    assert len(deposit) == 1 and deposit[0]["agent"] == "fils"
    assert deposit[0]["status"] == "within" and not deposit[0]["flagged"]
    assert deposit[0]["organisation"] == "mon fils"
    with acting_as("fils"), pytest.raises(Unauthorized):
        control_report.mandate_report(mandate)


def test_the_printed_form_an_agent_attaches_stands_for_the_persons_signature(vault):
    from plone.namedfile.file import NamedBlobFile
    from vaults import pdf_bytes

    make_agent("autre-agent")
    with acting_as("accueil"):
        mandate, code = mandates.propose_personal_mandate(
            vault, name="Nadia", relation="ma voisine", scopes=["consult"], months=3
        )
    form = NamedBlobFile(data=pdf_bytes("Formulaire signé"), filename="mandat.pdf")
    with acting_as("autre-agent"), pytest.raises(VaultError) as refused:
        mandates.sign_as_person(mandate, method="paper", form=form)
    assert refused.value.code == "not_an_agent_of_the_mandate"
    with acting_as("accueil"):
        mandates.sign_as_person(mandate, method="paper", form=form)
    assert api.content.get_state(mandate) == "awaiting_signatures", "the relative accepts too"
    with acting_as("voisine"):
        mandates.accept_invitation(code, agreed=True)
    assert api.content.get_state(mandate) == "active"
    assert mandate.person_signature["method"] == "paper"
    assert can("voisine", permissions.VIEW_PREVIEW, shared_paper(vault))
    assert not can("accueil", permissions.VIEW_PREVIEW, shared_paper(vault))


def test_the_printed_form_of_a_personal_mandate_names_the_relative(vault):
    from ccas.vault.services.mandates.common import may_see
    from ccas.vault.services.mandates.pdf import mandate_pdf
    from io import BytesIO
    from pypdf import PdfReader

    with acting_as("accueil"):
        mandate, _code = mandates.propose_personal_mandate(
            vault, name="Nadia Voisine", relation="ma voisine", scopes=["consult"], months=3
        )
        assert may_see(mandate), "the agent who prepared it prints it"
    with acting_as("fils"):
        assert not may_see(mandate)
    text = " ".join(
        page.extract_text() for page in PdfReader(BytesIO(mandate_pdf(mandate, vault))).pages
    )
    assert "La personne de confiance" in text and "Nadia Voisine" in text
    assert "ma voisine" in text
    assert "Télécharger" not in text and "Les agents mandatés" not in text


def test_a_link_the_relative_made_stops_with_the_mandate(vault):
    from ccas.vault.sharing import links

    mandate, code = name_son(vault, scopes=("consult", "share"))
    with acting_as("fils"):
        mandates.accept_invitation(code, agreed=True)
        link = links.create_link(vault, [shared_paper(vault)], "Bailleur", "7d")[0]
        with pytest.raises(Unauthorized):
            links.create_link(vault, [private_paper(vault)], "Bailleur", "7d")
    assert api.content.get_state(link) == "active"
    with acting_as("jdupont"):
        mandates.revoke(mandate)
    assert api.content.get_state(link) == "revoked"
    assert link.ended["why"] == "mandate_ended"
