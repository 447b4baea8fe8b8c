"""The PAdES signing queue of GED letters (decision 0014).

A delivered letter is sealed at once and PAdES-signed later, by the queue:
each letter in its own transaction, idempotent, crash-safe; a PDF pyHanko
cannot sign keeps its seal and is reported, never retried forever.
"""

from ccas.vault.certification import keys
from ccas.vault.certification import pades
from ccas.vault.certification import signing_queue
from ccas.vault.certification.seal import check_seal
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from plone import api
from test_ged_letters import fresh
from test_ged_letters import letter
from vaults import PASSWORD
from vaults import pdf_bytes
import hashlib
import json
import pytest
import transaction


@pytest.fixture
def vault(letters_vault):
    return letters_vault


@pytest.fixture
def ged(request_factory):
    return request_factory(basic_auth=("ged", PASSWORD))


@pytest.fixture
def anonymous(request_factory):
    return request_factory()


def deliver(ged, *references):
    batch = [letter(ref, data=pdf_bytes(f"Lettre {ref}")) for ref in references]
    response = ged.post("@ged-letters/batch", json={"letters": batch})
    assert response.status_code == 200, response.text
    assert response.json()["statuses"] == {"201": len(references)}
    return {item["ged_reference"]: item["body"] for item in response.json()["results"]}


def papers(vault):
    return {p.getId(): p for p in fresh(vault)["partage"][CCAS_MAIL_FOLDER_ID].objectValues()}


def drain(limit=None):
    transaction.begin()
    with as_system():
        return signing_queue.drain(limit)


def verified(anonymous, sha256):
    response = anonymous.get("@vault-verify", params={"sha256": sha256})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_delivered_letter_is_sealed_now_and_queued_for_its_pades_signature(vault, ged):
    bodies = deliver(ged, "Q-1")
    (paper,) = papers(vault).values()
    certification = paper.certification
    assert api.content.get_state(paper) == "certified"
    assert certification["pades_pending"] is True
    assert certification["pdf_signed"] is False
    assert check_seal(certification).valid
    # The answer names the sealed (delivered) bytes, stored as they are for now.
    assert bodies["Q-1"]["sha256"] == paper.sha256 == certification["sha256"]
    assert hashlib.sha256(paper.file.data).hexdigest() == paper.sha256
    assert pades.validate(paper.file.data, []) is None  # no embedded signature yet
    assert signing_queue.pending() == [paper.UID()]


def test_the_drain_signs_stores_reseals_and_traces_each_letter(vault, ged, anonymous):
    deliver(ged, "Q-1", "Q-2")
    before = {p.UID(): (p.sha256, p.file.data) for p in papers(vault).values()}
    assert len(before) == 2
    report = drain()
    assert (report.signed, report.failed, report.left) == (2, [], 0)
    assert signing_queue.pending() == []
    for paper in papers(vault).values():
        delivered_sha256, delivered = before[paper.UID()]
        certification = paper.certification
        signed = paper.file.data
        assert signed.startswith(delivered)  # incremental update
        assert paper.sha256 == certification["sha256"] == hashlib.sha256(signed).hexdigest()
        assert paper.sha256 != delivered_sha256
        assert certification["pdf_signed"] is True and "pades_pending" not in certification
        assert certification["delivered_seal"]["sha256"] == delivered_sha256
        assert check_seal(certification).valid
        assert check_seal(certification["delivered_seal"]).valid
        payload = json.loads(certification["payload"])
        assert payload["deposited_sha256"] == certification["deposited_sha256"]
        assert payload["by"] == "ged" and payload["organisation"] == "ccas"
        # pyHanko's validator accepts the signature, the CCAS certificate as root.
        status = pades.validate(signed, [keys.certificate(certification["key_id"])])
        assert status.intact and status.valid and status.trusted and status.bottom_line
        # Both the signed bytes and the delivered bytes verify, publicly.
        for digest in (paper.sha256, delivered_sha256):
            answer = verified(anonymous, digest)
            assert answer["certified"] is True, digest
            assert all(seal["valid"] for seal in answer["seals"])
            assert {seal["organisation"] for seal in answer["seals"]} == {"ccas"}
    lines = [e for e in history.entries(fresh(vault)) if e.action == "pdf_signed"]
    assert len(lines) == 2
    assert {line.details["sha256"] for line in lines} == {p.sha256 for p in papers(vault).values()}
    assert {line.actor for line in lines} == {signing_queue.ACTOR}
    assert history.verify(fresh(vault)) is None


def test_draining_twice_does_nothing(vault, ged):
    deliver(ged, "Q-1")
    assert drain().signed == 1
    (paper,) = papers(vault).values()
    state = (paper.sha256, paper.file.data, dict(paper.certification))
    entries = len(history.entries(fresh(vault)))
    report = drain()
    assert (report.signed, report.failed, report.gone, report.errors) == (0, [], 0, 0)
    (paper,) = papers(vault).values()
    assert (paper.sha256, paper.file.data, dict(paper.certification)) == state
    assert len(history.entries(fresh(vault))) == entries


def test_a_crash_before_the_commit_leaves_the_letter_queued(vault, ged):
    deliver(ged, "Q-1")
    (paper,) = papers(vault).values()
    uid, delivered = paper.UID(), paper.sha256
    transaction.begin()
    with as_system():
        assert signing_queue.sign_queued(uid) == "signed"
    transaction.abort()  # the process died before committing
    (paper,) = papers(vault).values()
    assert paper.sha256 == delivered and paper.certification["pades_pending"]
    assert signing_queue.pending() == [uid]
    assert drain().signed == 1
    (paper,) = papers(vault).values()
    assert paper.certification["pdf_signed"] is True


def test_a_pdf_pyhanko_cannot_sign_keeps_its_seal_and_is_reported_once(
    vault, ged, anonymous, monkeypatch
):
    deliver(ged, "Q-1", "Q-2")
    odd = sorted(papers(vault).values(), key=lambda p: p.UID())[1].file.data
    real = pades.sign_pdf

    def picky(data, **kw):
        if data == odd:
            raise pades.PdfSigningFailed("odd structure")
        return real(data, **kw)

    monkeypatch.setattr(pades, "sign_pdf", picky)
    report = drain()
    assert report.signed == 1 and len(report.failed) == 1
    by_uid = {p.UID(): p for p in papers(vault).values()}
    bad = by_uid[report.failed[0]]
    assert bad.certification["pdf_signed"] is False
    assert bad.certification["pades_failed"] == "pdf_signing_failed"
    assert "pades_pending" not in bad.certification
    assert check_seal(bad.certification).valid
    assert verified(anonymous, bad.sha256)["certified"] is True
    assert signing_queue.failed()[bad.UID()]["reason"] == "pdf_signing_failed"
    assert signing_queue.pending() == []
    actions = [e.action for e in history.entries(fresh(vault))]
    assert actions.count("pdf_signing_failed") == 1
    # Not retried: the next drain has nothing to do.
    assert drain().failed == []
    assert [e.action for e in history.entries(fresh(vault))] == actions


def test_an_unexpected_error_is_retried_a_few_times_then_reported(vault, ged, monkeypatch):
    deliver(ged, "Q-1")

    def broken(data, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pades, "sign_pdf", broken)
    outcomes = [drain() for _ in range(signing_queue.MAX_ATTEMPTS + 2)]
    assert [len(r.failed) for r in outcomes] == [0] * (signing_queue.MAX_ATTEMPTS - 1) + [1, 0, 0]
    (paper,) = papers(vault).values()
    assert paper.certification["pades_failed"] == "error"
    assert signing_queue.failed()[paper.UID()]["attempts"] == signing_queue.MAX_ATTEMPTS
    assert signing_queue.pending() == []


def test_a_deleted_letter_leaves_the_queue(vault, ged):
    deliver(ged, "Q-1")
    (paper,) = papers(vault).values()
    with as_system():
        api.content.delete(obj=paper, check_linkintegrity=False)
    transaction.commit()
    report = drain()
    assert (report.signed, report.gone, report.left) == (0, 1, 0)


def test_the_console_script_drains_and_reports(vault, ged, functional_app, monkeypatch, capsys):
    from contextlib import contextmanager

    @contextmanager
    def opened(zope_conf):
        yield functional_app

    deliver(ged, "Q-1")
    monkeypatch.setattr(signing_queue, "_opened_app", opened)
    site_id = api.portal.get().getId()
    assert signing_queue.main(["zope.conf", "--site", site_id]) == 0
    assert capsys.readouterr().out.startswith("sign-queue: 1 signed, 0 failed")
    assert signing_queue.main(["zope.conf", "--site", site_id]) == 0
    assert capsys.readouterr().out.startswith("sign-queue: 0 signed, 0 failed")
