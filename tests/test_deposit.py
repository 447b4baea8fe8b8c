"""Depositing papers: only into an open vault, only inspected files, traced."""

from AccessControl import Unauthorized
from ccas.vault.api import documents
from ccas.vault.api.documents import HealthConfirmationRequired
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.history import api as history
from datetime import date
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import pdf_bytes
import hashlib
import pytest


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    return consent_as_owner(open_vault_as("accueil", "jdupont"))


def test_owner_deposits_a_pdf_in_the_private_space(vault):
    data = pdf_bytes()
    document = deposit_as("jdupont", vault["prive"], data=data, issued=date(2026, 1, 31))
    assert api.content.get_state(document) == "deposited"
    assert document.file.data == data
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.file.contentType == "application/pdf"
    assert document.deposited_by == "jdupont"
    assert document.valid_until == date(2026, 4, 30)  # attestation CAF: 3 months
    assert document.getId().startswith("d-")
    assert history.entries(vault)[-1].action == "deposit"


def test_nothing_can_be_deposited_before_consent(portal):
    make_agent("accueil")
    vault = open_vault_as("accueil", "jdupont")
    with pytest.raises(Unauthorized):
        deposit_as("jdupont", vault["prive"])
    assert not vault["prive"].objectIds()


def test_an_agent_without_mandate_cannot_deposit(vault):
    for space in ("prive", "partage"):
        with pytest.raises(Unauthorized):
            deposit_as("accueil", vault[space])
        assert not vault[space].objectIds()


def test_another_beneficiary_cannot_deposit(vault):
    open_vault_as("accueil", "amartin", first="Alice", last="Martin")
    with pytest.raises(Unauthorized):
        deposit_as("amartin", vault["prive"])


def test_a_hostile_file_is_refused_and_nothing_is_stored(vault):
    with pytest.raises(DepositRefused) as refused:
        deposit_as("jdupont", vault["prive"], data=b"MZ\x90\x00 not a pdf", filename="cv.pdf")
    assert refused.value.code == "unsupported_type"
    assert refused.value.message_fr
    assert not vault["prive"].objectIds()
    last = history.entries(vault)[-1]
    assert (last.action, last.details["code"]) == ("refused", "unsupported_type")


def test_the_size_limit_comes_from_the_settings(vault):
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 1)
    with pytest.raises(DepositRefused) as refused:
        deposit_as("jdupont", vault["prive"], data=pdf_bytes() + b"\n%" + b"x" * 1024 * 1024)
    assert refused.value.code == "too_large"
    assert not vault["prive"].objectIds()


def test_health_papers_need_an_explicit_confirmation(vault):
    with pytest.raises(HealthConfirmationRequired) as refused:
        deposit_as("jdupont", vault["prive"], document_type="document-sante")
    assert "santé" in refused.value.message_fr
    assert not vault["prive"].objectIds()
    document = deposit_as(
        "jdupont", vault["prive"], document_type="document-sante", health_confirmed=True
    )
    assert document.health_confirmed is True


def test_unknown_document_type_is_refused(vault):
    with pytest.raises(ValueError):
        deposit_as("jdupont", vault["prive"], document_type="carte-de-fidelite")


def test_replacing_keeps_the_old_version_as_superseded(vault):
    old = deposit_as("jdupont", vault["prive"])
    with api.env.adopt_user(username="jdupont"):
        newer = documents.replace(old, data=pdf_bytes("2027"), filename="attestation-2027.pdf")
    assert api.content.get_state(old) == "superseded"
    assert old.replaced_by == newer.UID()
    assert newer.replaces == old.UID()
    assert old.getId() in vault["prive"]
    with api.env.adopt_user(username="jdupont"), pytest.raises(ValueError):
        documents.replace(old, data=pdf_bytes(), filename="again.pdf")


def test_the_file_of_a_paper_cannot_be_changed_in_place(vault):
    """Forms and PATCH may edit metadata; the file field needs a permission nobody holds."""
    from ccas.vault.content.vault_document import IVaultDocument
    from plone.autoform.interfaces import WRITE_PERMISSIONS_KEY
    from plone.supermodel.utils import mergedTaggedValueDict

    document = deposit_as("jdupont", vault["prive"])
    permission = mergedTaggedValueDict(IVaultDocument, WRITE_PERMISSIONS_KEY)["file"]
    assert permission == "ccas.vault.AddVaultInfrastructure"
    from AccessControl.PermissionRole import rolesForPermissionOn

    assert rolesForPermissionOn("ccas.vault: Add vault infrastructure", document) == ()


def test_deleting_a_paper_is_traced(vault):
    document = deposit_as("jdupont", vault["prive"])
    with api.env.adopt_user(username="jdupont"):
        # as the product deletes vault content: Plone's link-integrity check asks the
        # paper's intid, and vault content has none (decision 0053)
        api.content.delete(obj=document, check_linkintegrity=False)
    last = history.entries(vault)[-1]
    assert (last.action, last.actor) == ("delete", "jdupont")
