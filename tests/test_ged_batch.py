"""@ged-letters/batch: up to 500 letters in one transaction, a result per letter."""

from ccas.vault import roles
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.letters import parking
from ccas.vault.letters import receipts
from ccas.vault.services.ged_letters.ged_letters import GEDLettersPost
from plone import api
from test_ged_letters import fresh
from test_ged_letters import letter
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import pytest
import transaction


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    transaction.commit()
    return functional_portal


@pytest.fixture
def vault(site):
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    transaction.commit()
    return vault


@pytest.fixture
def ged(request_factory):
    return request_factory(basic_auth=("ged", PASSWORD))


def papers(vault):
    folder = fresh(vault)["partage"].get(CCAS_MAIL_FOLDER_ID)
    return [] if folder is None else list(folder.objectValues())


def test_a_batch_answers_letter_by_letter(vault, ged):
    delivered = letter("B-1", data=pdf_bytes("un"))
    batch = [
        delivered,
        letter("B-2", person={"ged_person_id": "INCONNU-1"}, data=pdf_bytes("deux")),
        letter("B-3", title="", data=pdf_bytes("trois")),  # malformed
        letter("B-4", data=b"MZ not a pdf"),  # refused file
        letter("B-1", data=pdf_bytes("un")),  # the same letter again in the batch
        letter("B-1", data=pdf_bytes("autre")),  # same reference, other bytes
        "not an object",
    ]
    response = ged.post("@ged-letters/batch", json={"letters": batch})
    assert response.status_code == 200, response.text
    body = response.json()
    results = body["results"]
    assert [r["status"] for r in results] == [201, 202, 400, 400, 200, 409, 400]
    assert [r["ged_reference"] for r in results] == ["B-1", "B-2", "B-3", "B-4", "B-1", "B-1", None]
    assert [r["index"] for r in results] == list(range(7))
    assert results[0]["body"]["status"] == "delivered"
    assert results[4]["body"] == results[0]["body"]
    assert results[1]["body"]["reason"] == "unknown_person"
    assert "title" in results[2]["body"]["error"]["fields"]
    assert "file" in results[3]["body"]["error"]["fields"]
    assert results[5]["body"]["error"]["type"] == "reference_conflict"
    assert body["items_total"] == 7
    assert body["statuses"] == {"200": 1, "201": 1, "202": 1, "400": 3, "409": 1}
    assert len(papers(vault)) == 1
    assert sorted(r.reference for r in receipts.all_receipts()) == ["B-1", "B-2"]
    assert parking.get_parked("B-2") is not None


def test_a_plain_list_is_accepted(vault, ged):
    response = ged.post(
        "@ged-letters/batch", json=[letter("L-1"), letter("L-2", data=pdf_bytes("2"))]
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == [201, 201]
    assert len(papers(vault)) == 2


def test_more_than_500_letters_is_refused_whole(vault, ged):
    one = letter("X")
    response = ged.post("@ged-letters/batch", json={"letters": [one] * 501})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "batch_too_large"
    assert error["message_fr"]
    assert papers(vault) == []


def test_a_batch_that_is_not_a_list(vault, ged):
    response = ged.post("@ged-letters/batch", json={"letters": "nope"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_batch"


@pytest.mark.parametrize("login, status", [(None, 401), ("accueil", 403)])
def test_only_connectors_send_batches(vault, request_factory, login, status):
    session = request_factory() if login is None else request_factory(basic_auth=(login, PASSWORD))
    response = session.post("@ged-letters/batch", json={"letters": [letter()]})
    assert response.status_code == status
    assert papers(vault) == []


def test_an_unexpected_failure_leaves_nothing_of_its_letter(portal, monkeypatch):
    """A letter failing half-way (after its receipt was written) is rolled back alone."""
    from ccas.vault.letters import delivery

    make_agent("accueil")
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    real_deliver = delivery.deliver

    def failing(vault, letter, receipt, data=None):
        if receipt.reference == "F-2":
            real_deliver(vault, letter, receipt, data)
            raise RuntimeError("disk full")
        return real_deliver(vault, letter, receipt, data)

    monkeypatch.setattr(delivery, "deliver", failing)
    results = [
        GEDLettersPost.one(letter(ref, data=pdf_bytes(ref)), "ged") for ref in ("F-1", "F-2", "F-3")
    ]
    assert [r.status_code for r in results] == [201, 500, 201]
    assert results[1].body["error"]["type"] == "internal_error"
    assert receipts.get_receipt("F-2") is None
    assert len(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()) == 2


@pytest.mark.slow
def test_five_hundred_letters_in_one_batch(vault, ged):
    data = pdf_bytes("Courrier")
    batch = [letter(f"M-{i:03d}", data=data) for i in range(250)] + [
        letter(f"U-{i:03d}", data=data, person={"ged_person_id": f"INCONNU-{i}"})
        for i in range(250)
    ]
    response = ged.post("@ged-letters/batch", json={"letters": batch})
    assert response.status_code == 200, response.text[:2000]
    assert response.json()["statuses"] == {"201": 250, "202": 250}
    assert len(papers(vault)) == 250
    transaction.begin()
    with api.env.adopt_user(username="accueil"):
        assert len(parking.list_parked()) == 250


def test_a_batch_takes_one_savepoint_while_no_letter_fails(vault, monkeypatch):
    """Refusals write nothing: a batch needs no savepoint per letter unless one fails."""
    taken = []
    real_savepoint = transaction.savepoint

    def counting(*args, **kwargs):
        taken.append(1)
        return real_savepoint(*args, **kwargs)

    monkeypatch.setattr(transaction, "savepoint", counting)
    batch = [
        letter("S-1", data=pdf_bytes("un")),
        letter("S-2", title="", data=pdf_bytes("deux")),  # malformed: refused, nothing written
        letter("S-3", person={"ged_person_id": "INCONNU"}, data=pdf_bytes("trois")),
        letter("S-1", data=pdf_bytes("autre")),  # conflict: refused, nothing written
    ]
    with api.env.adopt_user(username="ged"):
        results = GEDLettersPost.receive_batch(batch, "ged")
    transaction.commit()
    assert [r.status_code for r in results] == [201, 400, 202, 409]
    assert len(taken) == 1
    assert len(papers(vault)) == 1
    assert sorted(r.reference for r in receipts.all_receipts()) == ["S-1", "S-3"]


def test_a_batch_with_a_failing_letter_is_received_again_letter_by_letter(vault, monkeypatch):
    """The failing letter leaves nothing; the letters before and after it are delivered once."""
    from ccas.vault.letters import delivery

    real_deliver = delivery.deliver

    def failing(vault, letter, receipt, data=None):
        document = real_deliver(vault, letter, receipt, data)
        if receipt.reference == "G-2":
            raise RuntimeError("disk full")
        return document

    monkeypatch.setattr(delivery, "deliver", failing)
    batch = [letter(ref, data=pdf_bytes(ref)) for ref in ("G-1", "G-2", "G-3")]
    with api.env.adopt_user(username="ged"):
        results = GEDLettersPost.receive_batch(batch, "ged")
    transaction.commit()
    assert [r.status_code for r in results] == [201, 500, 201]
    assert receipts.get_receipt("G-2") is None
    assert sorted(r.reference for r in receipts.all_receipts()) == ["G-1", "G-3"]
    assert len(papers(vault)) == 2
