"""Certified papers are immutable: every route that could change them is tried and must fail."""

from AccessControl import Unauthorized
from ccas.vault.api import documents
from ccas.vault.certification.immutability import CertifiedPaperChanged
from ccas.vault.certification.verification import verify_hash
from ccas.vault.security import as_system
from plone import api
from plone.namedfile.file import NamedBlobFile
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zope.event import notify
from zope.lifecycleevent import ObjectModifiedEvent
import base64
import hashlib
import pytest
import transaction


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_agent("certificateur")
    transaction.commit()
    return functional_portal


@pytest.fixture
def paper(site):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    document = deposit_as("jdupont", vault["partage"], document_type="cni")
    vault["partage"].manage_setLocalRoles("certificateur", ["VaultDepositor", "VaultCertifier"])
    with acting_as("certificateur"):
        documents.certify(document)
    transaction.commit()
    return document


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def url(document, *rest):
    return "/".join(("coffres", *document.getPhysicalPath()[3:], *rest))


@pytest.fixture
def owner(request_factory):
    return request_factory(basic_auth=("jdupont", PASSWORD))


def snapshot(document):
    document = fresh(document)
    return (
        hashlib.sha256(document.file.data).hexdigest(),
        document.sha256,
        document.document_type,
        document.title,
        dict(document.certification),
    )


FORGED = pdf_bytes("faux")
FORGED_FILE = {
    "filename": "faux.pdf",
    "content-type": "application/pdf",
    "encoding": "base64",
    "data": base64.b64encode(FORGED).decode(),
}


def test_rest_patch_cannot_change_a_certified_paper(paper, owner):
    before = snapshot(paper)
    for body in ({"file": FORGED_FILE}, {"title": "Autre"}, {"document_type": "avis-imposition"}):
        response = owner.patch(url(paper), json=body)
        assert response.status_code in (401, 403), (body, response.status_code, response.text)
    assert snapshot(paper) == before


def test_the_edit_form_is_closed_on_a_certified_paper(paper):
    with acting_as("jdupont"), pytest.raises(Unauthorized):
        paper.restrictedTraverse("@@edit")


def test_webdav_put_is_closed(paper, request_factory):
    session = request_factory(basic_auth=("jdupont", PASSWORD))
    before = snapshot(paper)
    response = session.put(url(paper), data=FORGED, headers={"Content-Type": "application/pdf"})
    assert response.status_code >= 400
    assert snapshot(paper) == before


def test_a_file_written_in_python_is_refused_at_the_modified_event(paper):
    document = fresh(paper)
    document.file = NamedBlobFile(FORGED, contentType="application/pdf", filename="faux.pdf")
    with pytest.raises(CertifiedPaperChanged, match="certified paper"):
        notify(ObjectModifiedEvent(document))
    transaction.abort()
    assert hashlib.sha256(fresh(paper).file.data).hexdigest() == paper.certification["sha256"]


def test_the_document_type_of_a_certified_paper_cannot_change(paper):
    document = fresh(paper)
    document.document_type = "avis-imposition"
    with pytest.raises(CertifiedPaperChanged, match="certified paper"):
        notify(ObjectModifiedEvent(document))
    transaction.abort()


def test_a_certified_paper_made_valid_again_by_the_clock_stays_sealed(paper, owner):
    """expire -> renew puts the paper back in *deposited*, where the owner may edit
    metadata: the sealed part (bytes, type) is still refused; the title may change."""
    document = fresh(paper)
    with as_system():
        api.content.transition(obj=document, transition="expire")
        api.content.transition(obj=document, transition="renew")
    transaction.commit()
    assert api.content.get_state(fresh(paper)) == "deposited"
    before = snapshot(paper)
    response = owner.patch(url(paper), json={"document_type": "avis-imposition"})
    assert response.status_code == 403, response.text
    assert "certified paper cannot be modified" in response.text
    assert snapshot(paper) == before
    response = owner.patch(url(paper), json={"file": FORGED_FILE})
    assert snapshot(paper)[:3] == before[:3]
    response = owner.patch(url(paper), json={"title": "Ma carte"})
    assert response.status_code == 204, response.text
    assert fresh(paper).title == "Ma carte"
    assert verify_hash(before[1])["certified"]


def test_the_owner_cannot_replace_a_certified_paper(paper):
    with acting_as("jdupont"), pytest.raises(Unauthorized):
        documents.replace(fresh(paper), data=pdf_bytes("v2"), filename="v2.pdf")
    assert api.content.get_state(fresh(paper)) == "certified"


def test_a_certifier_replaces_it_and_both_versions_verify(paper):
    old = fresh(paper)
    with acting_as("certificateur"):
        newer = documents.replace(old, data=pdf_bytes("v2"), filename="v2.pdf")
    assert api.content.get_state(old) == "superseded"
    assert api.content.get_state(newer) == "certified"
    assert (newer.replaces, old.replaced_by) == (old.UID(), newer.UID())
    assert old.certification["sha256"] == hashlib.sha256(old.file.data).hexdigest()
    old_answer = verify_hash(old.sha256)
    new_answer = verify_hash(newer.sha256)
    assert old_answer["certified"] and old_answer["seals"][0]["superseded"]
    assert new_answer["certified"] and not new_answer["seals"][0]["superseded"]
    with acting_as("certificateur"), pytest.raises(ValueError):
        documents.replace(old, data=pdf_bytes("v3"), filename="v3.pdf")


def test_certifying_twice_is_refused(paper):
    with acting_as("certificateur"), pytest.raises(Exception):  # noqa: B017 - WorkflowException
        documents.certify(fresh(paper))
    assert fresh(paper).certification["signature"] == paper.certification["signature"]
