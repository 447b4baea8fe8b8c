"""The GED deliveries received by one Zope process take turns (decision 0030).

Two batches arriving at the same time in one process would insert keys into the
same catalog, intid and receipt trees and the same "Courrier du CCAS" folder: the
one committed second would meet a ConflictError and be replayed whole.  Each
delivery waits for the process's turn, starts from every delivery committed before
it, and gives the turn back when its transaction ends.
"""

from ccas.vault.letters import receipts
from ccas.vault.letters import turns
from ccas.vault.services.ged_letters.ged_letters import GEDLettersPost
from ccas.vault.services.openapi.openapi import DOCUMENT
from test_ged_batch import papers
from test_ged_letters import letter
from test_ged_letters import post_at_once
from test_openapi import check
from vaults import PASSWORD
from vaults import pdf_bytes
import pytest
import requests
import threading
import transaction
import yaml


@pytest.fixture
def batches_received(monkeypatch):
    """How many times the server received a batch (a replayed request counts again)."""
    calls = []
    receive = GEDLettersPost.receive_batch

    def counting(letters, connector):
        calls.append(len(letters))
        return receive(letters, connector)

    monkeypatch.setattr(GEDLettersPost, "receive_batch", staticmethod(counting))
    return calls


def test_batches_sent_at_once_are_received_one_after_the_other_never_replayed(
    functional_portal, letters_vault, batches_received
):
    url = f"{functional_portal.absolute_url()}/@ged-letters/batch"
    bodies = [
        [letter(f"T{n}-{i}", data=pdf_bytes(f"lot {n} courrier {i}")) for i in range(15)]
        for n in range(3)
    ]
    answers = post_at_once(url, bodies)
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert [r["status"] for r in answer.json()["results"]] == [201] * 15
    assert batches_received == [15, 15, 15]  # a ConflictError would have replayed one
    assert len(papers(letters_vault)) == 45
    assert len(receipts.all_receipts()) == 45
    assert not turns.turn_taken()


@pytest.mark.parametrize(
    "path, body", [("@ged-letters/batch", [letter("B-1")]), ("@ged-letters", letter("B-1"))]
)
def test_a_delivery_that_does_not_get_its_turn_is_a_503_in_french_and_stores_nothing(
    functional_portal, letters_vault, monkeypatch, path, body
):
    monkeypatch.setattr(turns, "WAIT_SECONDS", 0.2)
    url = f"{functional_portal.absolute_url()}/{path}"
    auth = {"auth": ("ged", PASSWORD), "headers": {"Accept": "application/json"}, "timeout": 60}
    assert turns.take_turn() is not None  # another delivery holds the turn
    try:
        answer = requests.post(url, json=body, **auth)
    finally:
        transaction.abort()
    assert answer.status_code == 503, answer.text
    with DOCUMENT.open(encoding="utf-8") as stream:
        check(yaml.safe_load(stream), f"/{path}", "post", answer)  # documented, schema included
    assert answer.headers["Retry-After"] == str(turns.RETRY_AFTER_SECONDS)
    error = answer.json()["error"]
    assert error["type"] == "busy"
    assert error["message_fr"].startswith("Ce serveur reçoit déjà d'autres courriers")
    assert papers(letters_vault) == []
    assert receipts.get_receipt("B-1") is None
    again = requests.post(url, json=body, **auth)
    assert again.status_code in (200, 201), again.text
    assert len(papers(letters_vault)) == 1


class RefusedVote:
    """A data manager whose vote fails: the commit fails, then the transaction is aborted."""

    transaction_manager = transaction.manager

    def sortKey(self):
        return "~refused-vote"

    def abort(self, txn):
        pass

    tpc_begin = commit = tpc_finish = tpc_abort = abort

    def tpc_vote(self, txn):
        raise RuntimeError("vote refused")


def test_the_turn_is_given_back_when_the_transaction_commits(functional_portal):
    turns.take_turn()
    assert turns.turn_taken()
    transaction.commit()
    assert not turns.turn_taken()


def test_the_turn_is_given_back_when_the_transaction_aborts(functional_portal):
    turns.take_turn()
    transaction.abort()
    assert not turns.turn_taken()


def test_a_failed_commit_gives_the_turn_back_once(functional_portal):
    turns.take_turn()
    transaction.get().join(RefusedVote())
    with pytest.raises(RuntimeError, match="vote refused"):
        transaction.commit()
    assert not turns.turn_taken()
    # Another delivery takes the turn before the failed one is aborted.
    taken, finish = threading.Event(), threading.Event()

    def another_delivery():
        turns.take_turn()
        taken.set()
        finish.wait(60)
        transaction.abort()

    thread = threading.Thread(target=another_delivery)
    thread.start()
    try:
        assert taken.wait(60)
        transaction.abort()  # the failed transaction's end
        assert turns.turn_taken()  # the other delivery keeps its turn
    finally:
        finish.set()
        thread.join()
    assert not turns.turn_taken()


def test_a_turn_starts_from_the_deliveries_committed_before_it(functional_portal):
    """The transaction of a turn carries the request's user and note, and sees what
    another connection committed after the request started."""
    db = functional_portal._p_jar.db()
    transaction.get().setUser("ged", "/acl_users")
    transaction.get().note("/plone/@ged-letters/batch")
    functional_portal._p_jar.root()  # this request's snapshot starts
    other = transaction.TransactionManager()
    connection = db.open(transaction_manager=other)
    try:
        connection.root()["ccas.vault.tests.turns"] = "committed meanwhile"
        other.commit()
    finally:
        connection.close()
    txn = turns.take_turn()
    try:
        assert txn is transaction.get()
        assert txn.user == "/acl_users ged"
        assert txn.description == "/plone/@ged-letters/batch"
        assert functional_portal._p_jar.root()["ccas.vault.tests.turns"] == "committed meanwhile"
    finally:
        transaction.abort()
