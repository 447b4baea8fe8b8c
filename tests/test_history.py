"""The vault's history: append-only, hash-chained, verifiable (L.137 CPCE)."""

from ccas.vault.accounts import ensure_account
from ccas.vault.history import verify as verify_script
from ccas.vault.history.api import ACTIONS
from ccas.vault.history.api import entries
from ccas.vault.history.api import export_csv
from ccas.vault.history.api import export_json
from ccas.vault.history.api import record
from ccas.vault.history.api import VerificationFailure
from ccas.vault.history.api import verify
from ccas.vault.history.storage import ANNOTATION_KEY
from ccas.vault.history.storage import genesis_hash
from ccas.vault.history.storage import get_history
from ccas.vault.history.storage import History
from ccas.vault.history.storage import record_hash
from ccas.vault.history.verify import verify_tree
from contextlib import contextmanager
from plone import api
from plone.app.testing import logout
from plone.app.testing import setRoles
from plone.app.testing import TEST_USER_ID
from plone.uuid.interfaces import IUUID
from ZODB.POSException import ConflictError
from zope.annotation.interfaces import IAnnotations
import csv
import dataclasses
import hashlib
import io
import itertools
import json
import pytest
import re
import transaction
import ZODB


PASSWORD = "Un-mot-de-passe-long"


def expected_hash(entry_dict):
    """The hash rule, written independently of the implementation."""
    fields = {key: value for key, value in entry_dict.items() if key != "hash"}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def coffres(portal):
    setRoles(portal, TEST_USER_ID, ["Manager"])
    return api.content.create(container=portal, type="Folder", id="dossiers", title="Dossiers")


@pytest.fixture
def vault(coffres):
    return api.content.create(container=coffres, type="Folder", id="jdupont", title="Jean Dupont")


@pytest.fixture
def document(vault):
    return api.content.create(container=vault, type="Document", id="cni", title="Carte d'identité")


@pytest.fixture
def agent(portal):
    member, _ = ensure_account("agent1", PASSWORD, "Alice Agent")
    return member


@pytest.fixture
def filled(vault, document, agent):
    """A vault with five entries by the test user and an agent."""
    record(vault, "open")
    record(vault, "consent", details={"method": "paper"})
    record(vault, "deposit", actor="agent1", target=document, organisation="CCAS")
    record(vault, "view", target=document)
    record(vault, "print", actor="agent1", target=document, organisation="CCAS")
    return vault


def tree(vault):
    """The raw records, as an attacker with database access sees them."""
    return get_history(vault)._entries


# Recording


def test_a_vault_has_no_history_until_something_is_recorded(vault):
    assert get_history(vault) is None
    assert entries(vault) == []
    assert verify(vault) is None


def test_recorded_entry_is_read_back(vault, document):
    entry = record(vault, "deposit", target=document, details={"origin": "camera"})
    assert entries(vault) == [entry]
    assert entry.seq == 0
    assert entry.action == "deposit"
    assert entry.actor == TEST_USER_ID
    assert entry.target_uid == IUUID(document)
    assert entry.target_title == "Carte d'identité"
    assert dict(entry.details) == {"origin": "camera"}
    assert IAnnotations(vault)[ANNOTATION_KEY] is get_history(vault)


def test_entry_records_when_in_utc_with_microseconds(vault):
    entry = record(vault, "open")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", entry.when)


def test_entry_records_who_for_whom_and_from_which_organisation(vault, document, agent):
    api.user.grant_roles(username="agent1", obj=document, roles=["Reader"])
    with api.env.adopt_user(username="agent1"):
        entry = record(
            vault, "download", target=document, on_behalf_of="jdupont", organisation="CAF"
        )
    assert entry.actor == "agent1"
    assert entry.actor_fullname == "Alice Agent"
    assert entry.on_behalf_of == "jdupont"
    assert entry.organisation == "CAF"
    assert "Reader" in entry.roles
    assert entry.roles == tuple(sorted(entry.roles))


def test_roles_are_those_in_the_context_of_the_target(vault, document, agent):
    api.user.grant_roles(username="agent1", obj=document, roles=["Reader"])
    assert "Reader" in record(vault, "view", actor="agent1", target=document).roles
    assert "Reader" not in record(vault, "login", actor="agent1").roles


def test_actor_without_account_is_kept_by_id(vault):
    entry = record(vault, "deposit", actor="ged-connector")
    assert (entry.actor, entry.actor_fullname, entry.roles) == ("ged-connector", "", ())


def test_anonymous_visitor_is_recorded(vault, document):
    """E.g. the recipient of a share link opening it."""
    logout()
    entry = record(vault, "view", target=document, details={"share": "caf"})
    assert (entry.actor, entry.roles) == ("Anonymous User", ("Anonymous",))


def test_unknown_action_is_refused_and_creates_nothing(vault):
    assert "deposit" in ACTIONS
    with pytest.raises(ValueError, match="unknown history action"):
        record(vault, "hack")
    assert get_history(vault) is None


def test_details_must_map_strings_to_strings(vault):
    with pytest.raises(TypeError):
        record(vault, "deposit", details={"size": 1234})
    assert entries(vault) == []


def test_an_object_without_uid_cannot_have_a_history(vault):
    delattr(vault, "_plone.uuid")
    with pytest.raises(ValueError, match="no UID"):
        record(vault, "open")


def test_entries_can_be_neither_edited_nor_deleted_through_the_api(filled):
    entry = entries(filled)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.action = "view"
    with pytest.raises(TypeError):
        entry.details["forged"] = "yes"
    history = get_history(filled)
    assert not hasattr(history, "__setitem__")
    assert not hasattr(history, "__delitem__")
    assert entries(filled)[0] == entry


# The chain


def test_entries_are_numbered_in_order(filled):
    assert [entry.seq for entry in entries(filled)] == [0, 1, 2, 3, 4]
    assert [entry.action for entry in entries(filled)] == [
        "open",
        "consent",
        "deposit",
        "view",
        "print",
    ]


def test_first_entry_is_chained_to_the_vault_uid(filled):
    genesis = hashlib.sha256(f"ccas.vault.history:{IUUID(filled)}".encode()).hexdigest()
    assert entries(filled)[0].prev_hash == genesis == genesis_hash(IUUID(filled))


def test_each_entry_is_chained_to_the_previous_one(filled):
    chain = entries(filled)
    for previous, entry in itertools.pairwise(chain):
        assert entry.prev_hash == previous.hash


def test_hash_is_sha256_of_canonical_json_of_the_other_fields(filled):
    for entry in entries(filled):
        assert entry.hash == expected_hash(entry.as_dict())
        assert re.fullmatch(r"[0-9a-f]{64}", entry.hash)


def test_intact_history_verifies(filled):
    assert verify(filled) is None


# Tampering: each must be reported at the right entry


def test_field_changed_in_place_is_detected(filled):
    tree(filled)[2] = {**tree(filled)[2], "actor": "someone-else"}
    assert verify(filled) == VerificationFailure(2, "hash mismatch: entry altered")


def test_deleted_entry_is_detected(filled):
    del tree(filled)[1]
    assert verify(filled) == VerificationFailure(1, "entry missing")


def test_swapped_entries_are_detected(filled):
    records = tree(filled)
    records[1], records[3] = records[3], records[1]
    failure = verify(filled)
    assert failure.seq == 1
    assert "sequence number altered" in failure.reason


def test_swap_with_renumbering_is_detected(filled):
    records = tree(filled)
    records[1], records[3] = {**records[3], "seq": 1}, {**records[1], "seq": 3}
    assert verify(filled) == VerificationFailure(1, "hash mismatch: entry altered")


def test_edited_entry_with_recomputed_hash_is_detected_by_the_next_link(filled):
    forged = {**tree(filled)[1], "details": {"method": "electronic"}}
    forged["hash"] = record_hash(forged)
    tree(filled)[1] = forged
    assert verify(filled) == VerificationFailure(2, "previous hash mismatch: chain broken")


def test_edited_last_entry_with_recomputed_hash_is_detected_by_the_anchor(filled):
    forged = {**tree(filled)[4], "action": "view"}
    forged["hash"] = record_hash(forged)
    tree(filled)[4] = forged
    assert verify(filled) == VerificationFailure(4, "last entry does not match the anchor")


def test_truncated_tail_is_detected_by_the_anchor(filled):
    del tree(filled)[4]
    del tree(filled)[3]
    assert verify(filled) == VerificationFailure(3, "2 entries missing at the end")


def test_entry_slipped_in_at_the_end_is_detected_by_the_anchor(filled):
    forged = {**tree(filled)[4], "seq": 5, "action": "share", "prev_hash": tree(filled)[4]["hash"]}
    forged["hash"] = record_hash(forged)
    tree(filled)[5] = forged
    assert verify(filled) == VerificationFailure(5, "entry added without the history API")


def test_unknown_action_slipped_in_is_detected(filled):
    tree(filled)[2] = {**tree(filled)[2], "action": "hack"}
    assert verify(filled).seq == 2


def test_history_moved_to_another_vault_is_detected(filled, coffres):
    other = api.content.create(container=coffres, type="Folder", id="autre", title="Autre")
    IAnnotations(other)[ANNOTATION_KEY] = get_history(filled)
    assert verify(other) == VerificationFailure(0, "history does not belong to this object")


def test_truncation_that_also_rewrites_the_anchor_needs_an_external_head(filled):
    """Limit of any chain kept in the same database: only a head kept elsewhere reveals it."""
    history = get_history(filled)
    head_kept_elsewhere = history.head
    del tree(filled)[4]
    history._head = (4, tree(filled)[3]["hash"])
    history._length.change(-1)
    assert verify(filled) is None
    assert history.head != head_kept_elsewhere


def test_concurrent_appends_conflict_and_the_retry_extends_the_chain():
    """Both would take seq 0: the second commit conflicts; its retry becomes seq 1."""
    db = ZODB.DB(None)
    first, second = transaction.TransactionManager(), transaction.TransactionManager()
    conn1, conn2 = db.open(first), db.open(second)
    conn1.root()["history"] = History(genesis_hash("uid"))
    first.commit()
    fields = {
        "when": "2025-01-01T00:00:00.000000+00:00",
        "actor_fullname": "",
        "organisation": "",
        "roles": (),
        "on_behalf_of": "",
        "action": "view",
        "target_uid": "",
        "target_title": "",
        "details": {},
    }
    second.begin()
    conn1.root()["history"].append(actor="one", **fields)
    conn2.root()["history"].append(actor="two", **fields)
    first.commit()
    with pytest.raises(ConflictError):
        second.commit()
    second.abort()
    conn2.root()["history"].append(actor="two", **fields)  # what the publisher's retry does
    second.commit()
    first.begin()
    history = conn1.root()["history"]
    assert [(entry.seq, entry.actor) for entry in history] == [(0, "one"), (1, "two")]
    assert history.check() is None
    db.close()


# Reading


def test_agent_sees_only_entries_about_their_own_actions(filled, agent):
    mine = entries(filled, actor="agent1")
    assert [(entry.seq, entry.action) for entry in mine] == [(2, "deposit"), (4, "print")]
    assert entries(filled, actor=agent) == mine
    assert len(entries(filled)) == 5


def test_csv_export_has_one_row_per_entry(filled):
    rows = list(csv.DictReader(io.StringIO(export_csv(filled))))
    assert [row["action"] for row in rows] == ["open", "consent", "deposit", "view", "print"]
    assert rows[1]["details"] == '{"method": "paper"}'
    assert rows[2]["actor_fullname"] == "Alice Agent"
    assert rows[2]["organisation"] == "CCAS"
    assert rows[2]["target_title"] == "Carte d'identité"
    assert rows[2]["roles"] == " ".join(entries(filled)[2].roles)
    assert [row["hash"] for row in rows] == [entry.hash for entry in entries(filled)]


def test_csv_export_neutralises_spreadsheet_formulas(vault, coffres):
    trap = api.content.create(container=vault, type="Document", id="t", title="=HYPERLINK(1)")
    record(vault, "deposit", target=trap)
    (row,) = csv.DictReader(io.StringIO(export_csv(vault)))
    assert row["target_title"] == "'=HYPERLINK(1)"


def test_json_export_lets_the_owner_check_the_chain_offline(filled):
    document = json.loads(export_json(filled))
    assert document["intact"] is True
    assert document["object_uid"] == IUUID(filled)
    previous = document["genesis"]
    for seq, entry in enumerate(document["entries"]):
        assert entry["seq"] == seq
        assert entry["prev_hash"] == previous
        assert entry["hash"] == expected_hash(entry)
        previous = entry["hash"]
    assert document["entries"][1]["details"] == {"method": "paper"}


def test_json_export_reports_a_broken_history(filled):
    del tree(filled)[1]
    document = json.loads(export_json(filled))
    assert document["intact"] is False
    assert document["failure"] == {"seq": 1, "reason": "entry missing"}


# The cron check


@pytest.fixture
def site_with_vaults(coffres, filled):
    """``jdupont`` intact, ``broken`` altered, ``empty`` without history, ``sub/deep`` nested."""
    broken = api.content.create(container=coffres, type="Folder", id="broken", title="B")
    record(broken, "open")
    record(broken, "deposit")
    tree(broken)[1] = {**tree(broken)[1], "action": "delete"}
    api.content.create(container=coffres, type="Folder", id="empty", title="E")
    sub = api.content.create(container=coffres, type="Folder", id="sub", title="S")
    deep = api.content.create(container=sub, type="Folder", id="deep", title="D")
    record(deep, "open")
    return coffres


def test_verify_tree_checks_every_history_below_the_root(site_with_vaults, portal):
    report = verify_tree(portal)
    assert report.checked == 3
    assert report.broken == [
        ("/plone/dossiers/broken", VerificationFailure(1, "hash mismatch: entry altered"))
    ]
    assert report.summary == "history verify: 3 vaults, 1 broken"


def test_verify_tree_of_an_intact_folder(site_with_vaults):
    report = verify_tree(site_with_vaults["sub"])
    assert (report.checked, report.broken) == (1, [])


@pytest.fixture
def script(app, monkeypatch, capsys):
    """Run the console script on the test database; return ``(exit code, stdout)``."""

    @contextmanager
    def opened(zope_conf):
        yield app

    monkeypatch.setattr(verify_script, "_opened", opened)

    def run(*args):
        code = verify_script.main(["zope.conf", "--site", "plone", *args])
        return code, capsys.readouterr().out

    return run


def test_script_reports_broken_histories_and_fails(site_with_vaults, script):
    code, out = script()
    assert code == 1
    assert out.splitlines() == [
        "BROKEN /plone/dossiers/broken: entry 1: hash mismatch: entry altered",
        "history verify: 3 vaults, 1 broken",
    ]


def test_script_succeeds_when_all_is_intact(site_with_vaults, script):
    assert script("--path", "/plone/dossiers/sub") == (0, "history verify: 1 vaults, 0 broken\n")


def test_script_refuses_a_missing_path(site_with_vaults, script):
    assert script("--path", "/plone/nowhere")[0] == 2


def test_every_action_has_a_label_on_the_history_page():
    from ccas.vault.browser.views import ACTION_LABELS

    assert set(ACTIONS) == set(ACTION_LABELS)
