"""``ccas-vault-check`` (issue 18, decision 0040) on real databases.

The demo site is built by the project's own commands (``ccas-vault-instance
init`` + ``site --demo``, what ``make start`` runs, :func:`real_instance._build`);
the checker runs as a subprocess, as an operator runs it.  A copy of the
database is then corrupted by a script process (:data:`CORRUPT`): one object
id given to two objects (the record of a GED receipt written under the oid of
a delivered letter, as issue 18 found), a dangling reference, a missing blob, a
broken history chain, a receipt without document, a catalog entry leading
nowhere, a paper indexed twice and one not indexed, a GED letter delivered
twice, a folder entry holding another entry's paper — and each is reported,
by kind, read from a FileStorage and through a ZEO server.  The demo on
RelStorage (real PostgreSQL, ``tests/pg.py``) is checked too.
"""

from pg import postgresql  # noqa: F401 (fixture)
from real_instance import _build
from real_instance import deployer_env
from servers import BIN
from servers import free_port
from servers import run
from servers import zeo_server
import json
import pytest
import shutil
import subprocess
import time


pytestmark = pytest.mark.slow

CHECK = str(BIN / "ccas-vault-check")
KEYS = "ccas-vault-keys"  # beside the instance's folder (certification.keys.key_directory)

#: Run by ``python CORRUPT ZOPE_CONF DATA_FS OUT_JSON``: corrupt the database, write
#: what was corrupted where (paths) to OUT_JSON.
CORRUPT = r"""
import json
import os
import sys
from Acquisition import aq_base
from ZODB.FileStorage import FileStorage
from ZODB.Connection import TransactionMetaData
from ZODB.utils import load_current, p64
from persistent.mapping import PersistentMapping
import transaction

zope_conf, data_fs, out = sys.argv[1:4]
done = {}

from ccas.vault.scripts.instance import opened_app
from ccas.vault.letters.receipts import Receipt, DELIVERED
from ccas.vault.history.storage import get_history
from plone import api
from zope.component.hooks import setSite


def path(obj):
    return "/".join(obj.getPhysicalPath())


def uploads(vault):
    brains = site.portal_catalog.unrestrictedSearchResults(
        path=path(vault), portal_type="VaultDocument", sort_on="path"
    )
    papers = [brain._unrestrictedGetObject() for brain in brains]
    return [paper for paper in papers if paper.origin == "upload"]


with opened_app(zope_conf) as app:
    site = app.ccas
    setSite(site)
    directory = site.coffres
    store = directory._ccas_ged_receipts
    catalog = site.portal_catalog
    first, second = store["GED-DEMO-0001"], store["GED-DEMO-0002"]
    letter_a = site.unrestrictedTraverse(site.getId() + first.document_path)
    letter_b = site.unrestrictedTraverse(site.getId() + second.document_path)
    done["oid_twice"] = path(letter_a)
    done["oid_twice_oid"] = letter_a._p_oid.hex()
    done["receipt_oid"] = first._p_oid.hex()
    others = [
        vault
        for vault in directory.objectValues()
        if vault.getId() not in (first.vault_id, second.vault_id)
    ]
    papers = [paper for vault in others for paper in uploads(vault)]
    lost, twice, unindexed, no_blob = papers[0], papers[2], papers[4], papers[6]
    # A paper whose record becomes a BTree bucket's (as in a run of the faults benchmark
    # with ZEO's stock client): loading it raises StateLoadError; reported, never a crash.
    unloadable = papers[8]
    done["unloadable"] = path(unloadable)
    done["unloadable_oid"] = unloadable._p_oid.hex()
    bucket = catalog._catalog.uids._firstbucket
    assert bucket is not None and bucket._p_oid is not None
    done["bucket_oid"] = bucket._p_oid.hex()
    # A receipt told "delivered" whose document does not exist.
    ghost = Receipt("GED-CHECK-GHOST", "ged", "0" * 64, "0" * 64)
    ghost.status = DELIVERED
    ghost.vault_id = first.vault_id
    ghost.document_uid = "f" * 32
    ghost.document_path = first.document_path.rsplit("/", 1)[0] + "/d-ghost"
    store["GED-CHECK-GHOST"] = ghost
    # A vault history whose entry 1 was rewritten.
    vault = others[1]
    history = get_history(vault)
    record = dict(history._entries[1])
    record["actor"] = "mallory"
    history._entries[1] = record
    done["history"] = path(vault)
    # A paper gone from its folder, not from the catalog: an entry leading nowhere.
    done["orphan"] = path(lost)
    lost.aq_parent._delOb(lost.getId())
    # A paper indexed twice (a second path for its UID), one not indexed at all.
    done["twice"] = path(twice)
    catalog.catalog_object(twice, path(twice) + "-bis")
    done["unindexed"] = path(unindexed)
    catalog.uncatalog_object(path(unindexed))
    # The GED letter of the second vault delivered twice: a copy, no receipt names it.
    folder = letter_b.aq_parent
    copy = api.content.copy(source=letter_b, target=folder, safe_id=True)
    done["delivered_twice"] = path(copy)
    # The same paper under a second entry of its folder.
    folder._setOb("d-twin", aq_base(letter_b))
    done["entry_twin"] = path(folder) + "/d-twin"
    # A missing blob file (removed below, once committed).
    done["no_blob"] = path(no_blob)
    blob_file = no_blob.file._blob.committed()
    # A persistent mapping on a vault, whose reference is made dangling below.
    probe = others[2]._check_probe = PersistentMapping()
    probe["x"] = PersistentMapping()
    transaction.commit()
    probe_oid, child_oid = probe._p_oid, probe["x"]._p_oid
os.remove(blob_file)

# Raw records, written as a ZEO client with a stale oid pool would have.
storage = FileStorage(data_fs)
try:
    receipt_record, _ = load_current(storage, bytes.fromhex(done["receipt_oid"]))
    probe_record, _ = load_current(storage, probe_oid)
    missing = p64(0x7FFFFFFF)
    assert probe_record.count(child_oid) == 1
    meta = TransactionMetaData(b"check test", b"corruptions")
    storage.tpc_begin(meta)
    bucket_record, _ = load_current(storage, bytes.fromhex(done["bucket_oid"]))
    for oid, data in (
        (bytes.fromhex(done["oid_twice_oid"]), receipt_record),
        (probe_oid, probe_record.replace(child_oid, missing)),
        (bytes.fromhex(done["unloadable_oid"]), bucket_record),
    ):
        _, serial = load_current(storage, oid)
        storage.store(oid, serial, data, "", meta)
    storage.tpc_vote(meta)
    storage.tpc_finish(meta)
finally:
    storage.close()
with open(out, "w") as stream:
    json.dump(done, stream)
"""


def check(zope_conf, *options):
    """Run ``ccas-vault-check`` as an operator does: ``(exit status, JSON report, seconds)``."""
    started = time.monotonic()
    result = subprocess.run(
        [CHECK, str(zope_conf), "--json", *options],
        capture_output=True,
        text=True,
        env=deployer_env(),
        timeout=600,
    )
    seconds = time.monotonic() - started
    assert result.returncode in (0, 1), f"{result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.returncode, json.loads(result.stdout), seconds


def kinds(report):
    found = {}
    for problem in report["problems"]:
        found.setdefault(problem["kind"], []).append(problem["path"])
    return found


def copy_of(source, home):
    """An instance in ``home`` on a copy of the database (and keys) of ``source``."""
    shutil.copytree(source / "data", home / "data")
    shutil.copytree(source / KEYS, home / KEYS)  # a backup holds the keys too
    (home / "data" / "Data.fs.lock").unlink(missing_ok=True)
    run(str(BIN / "ccas-vault-instance"), "init", str(home / "instance"), "--data",
        str(home / "data"), "--clock-interval", "0", env=deployer_env())  # fmt: skip
    return home / "instance" / "etc" / "zope.conf"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo site built by the project's commands (no server running), its clock
    run once: its home."""
    home = tmp_path_factory.mktemp("check-demo")
    _build(home / "instance", free_port(), home / "data", "--clock-interval", "0")
    # What the running site's clock does first: the clock jobs, the GED letters'
    # PAdES signatures (the stored file and its hash change, the receipt's stays).
    conf = str(home / "instance" / "etc" / "zope.conf")
    run(str(BIN / "ccas-vault-clock"), conf, env=deployer_env())
    run(str(BIN / "ccas-vault-sign-queue"), conf, env=deployer_env())
    return home


@pytest.fixture(scope="module")
def corrupted(demo, tmp_path_factory):
    """A copy of the demo database, corrupted by :data:`CORRUPT`: ``(home, what)``."""
    home = tmp_path_factory.mktemp("check-corrupted")
    copy_of(demo, home)
    script = home / "corrupt.py"
    script.write_text(CORRUPT)
    out = home / "corrupted.json"
    run(str(BIN / "python"), str(script), str(home / "instance" / "etc" / "zope.conf"),
        str(home / "data" / "Data.fs"), str(out), env=deployer_env())  # fmt: skip
    return home, json.loads(out.read_text())


def test_the_demo_site_is_clean(demo):
    status, report, seconds = check(demo / "instance" / "etc" / "zope.conf")
    assert report["problems"] == [], report["problems"]
    assert status == 0
    checked = report["checked"]
    assert checked["storage"] > 5000  # records walked from the root
    assert checked["catalog"] > 50 and checked["blobs"] > 10 and checked["history"] > 5
    assert checked["receipts"] == 3 and checked["GED letters"] == 2
    print(f"demo site checked in {seconds:.1f}s: {checked}")


def test_the_readable_report_is_in_french_and_english(demo):
    result = subprocess.run(
        [CHECK, str(demo / "instance" / "etc" / "zope.conf"), "--skip", "storage"],
        capture_output=True,
        text=True,
        env=deployer_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "Vérification : aucun problème" in result.stdout
    assert "Check: no problem" in result.stdout


def test_usage_errors_exit_2(demo):
    conf = str(demo / "instance" / "etc" / "zope.conf")
    for args in ([], [conf, "--repair", "delete"], [conf, "--site", "nowhere"]):
        result = subprocess.run([CHECK, *args], capture_output=True, text=True, env=deployer_env())
        assert result.returncode == 2, (args, result.stdout, result.stderr)


def _assert_every_corruption_found(report, what):
    found = kinds(report)
    # One oid given to two objects: the letter's folder entry (and the maps naming it:
    # the intids, the catalog's) reference a VaultDocument whose record is a Receipt.
    assert len(found["class_mismatch"]) >= 1
    assert any(
        "ccas.vault.content.vault_document.VaultDocument" in p["message_en"]
        and "ccas.vault.letters.receipts.Receipt" in p["message_en"]
        for p in report["problems"]
        if p["kind"] == "class_mismatch"
    )
    assert what["oid_twice"] in found["entry_mismatch"]
    assert what["oid_twice"] in found["catalog_orphan"]
    assert "GED GED-DEMO-0001" in found["receipt_without_document"]
    # The dangling reference, the missing blob (storage level and paper level).
    assert any("0x7fffffff" in p["message_en"] for p in report["problems"]
               if p["kind"] == "dangling_reference")  # fmt: skip
    assert len(found["blob_missing"]) == 2
    assert what["no_blob"] in found["blob_missing"]
    assert found["history_broken"] == [what["history"]]
    assert "GED GED-CHECK-GHOST" in found["receipt_without_document"]
    assert what["orphan"] in found["catalog_orphan"]
    assert what["twice"] + "-bis" in found["catalog_orphan"]
    assert found["indexed_twice"] == [what["twice"]]
    assert found["not_indexed"] == [what["unindexed"]]
    assert found["delivered_twice"] == [what["delivered_twice"]]
    assert what["entry_twin"] in found["entry_mismatch"]
    # the paper whose record is a bucket's: its catalog entry leads nowhere, no crash
    assert what["unloadable"] in found["catalog_orphan"]
    for problem in report["problems"]:
        assert problem["message_en"] and problem["message_fr"], problem


def test_every_corruption_is_reported(corrupted):
    home, what = corrupted
    status, report, seconds = check(home / "instance" / "etc" / "zope.conf")
    print(f"corrupted copy checked in {seconds:.1f}s: {len(report['problems'])} problems")
    assert status == 1
    _assert_every_corruption_found(report, what)
    assert sorted(kinds(report)) == sorted([
        "blob_missing", "catalog_orphan", "class_mismatch", "dangling_reference",
        "delivered_twice", "entry_mismatch", "history_broken", "indexed_twice",
        "not_indexed", "receipt_without_document",
    ])  # fmt: skip


def test_through_a_zeo_server(corrupted, tmp_path):
    """The same database served by ZEO: the checker is one more client."""
    home, what = corrupted
    port = free_port()
    tool = str(BIN / "ccas-vault-instance")
    env = deployer_env()
    run(tool, "zeo", str(tmp_path / "zeo"), "--data", str(home / "data"),
        "--address", f"127.0.0.1:{port}", env=env)  # fmt: skip
    run(tool, "init", str(tmp_path / "client"), "--data", str(home / "data"),
        "--zeo-address", f"127.0.0.1:{port}", "--clock-interval", "0", env=env)  # fmt: skip
    shutil.copytree(home / KEYS, tmp_path / KEYS)
    with zeo_server(tmp_path / "zeo" / "etc" / "zeo.conf", port, env=env, inherit=False):
        status, report, _seconds = check(tmp_path / "client" / "etc" / "zope.conf")
    assert status == 1
    _assert_every_corruption_found(report, what)


def test_repair_reindex_fixes_the_catalog_only(corrupted, tmp_path):
    home, what = corrupted
    conf = copy_of(home, tmp_path)
    _status, before, _seconds = check(conf, "--skip", "storage")
    status, repaired, _seconds = check(conf, "--skip", "storage", "--repair", "reindex")
    assert status == 1  # what reindexing cannot fix is still there
    fixed = {(p["kind"], p["path"]) for p in repaired["repaired"]}
    assert ("not_indexed", what["unindexed"]) in fixed
    assert ("catalog_orphan", what["orphan"]) in fixed
    assert ("indexed_twice", what["twice"]) in fixed
    _status, after, _seconds = check(conf, "--skip", "storage")
    left = kinds(after)
    for kind in ("catalog_orphan", "not_indexed", "indexed_twice", "catalog_stale"):
        assert kind not in left, left
    assert left["history_broken"] == [what["history"]]
    assert "receipt_without_document" in left and "blob_missing" in left
    # No paper deleted: the same papers and catalog-independent counts as before.
    assert after["checked"]["blobs"] == before["checked"]["blobs"]
    assert after["checked"]["content"] == before["checked"]["content"]
    # Four entries leading nowhere uncatalogued (the lost paper, the "-bis" path, the
    # letter whose oid holds a receipt, the paper whose record is a bucket's), one
    # paper catalogued.
    assert after["checked"]["catalog"] == before["checked"]["catalog"] - 4 + 1


NIGHTLY = r"""
import json, sys
from datetime import datetime
from ccas.vault import clock
from ccas.vault.scripts.instance import opened_app
from zope.component.hooks import setSite

zope_conf, directory = sys.argv[1:3]
runs = []
with opened_app(zope_conf, abort=True) as app:
    site = app.ccas
    setSite(site)
    for moment in ("2026-12-06T02:59", "2026-12-06T03:10", "2026-12-06T23:00", "2026-12-07T04:00"):
        report = clock.nightly_check(site, datetime.fromisoformat(moment), directory=directory)
        runs.append(None if report is None else sorted(report.checked))
print(json.dumps(runs))
"""


def test_the_clock_runs_the_check_once_a_night(corrupted, tmp_path):
    """``clock.nightly_check`` (the in-server clock's nightly job): once per date from
    03:00 (Paris), the storage walk on Sundays; the report written for monitoring."""
    home, what = corrupted
    script = tmp_path / "nightly.py"
    script.write_text(NIGHTLY)
    result = run(str(BIN / "python"), str(script), str(home / "instance" / "etc" / "zope.conf"),
                 str(tmp_path), env=deployer_env())  # fmt: skip
    runs = json.loads(result.stdout.strip().splitlines()[-1])
    assert runs[0] is None  # before 03:00
    assert "storage" in runs[1]  # Sunday 2026-12-06: the storage walk too
    assert runs[2] is None  # already done that night
    assert runs[3] is not None and "storage" not in runs[3]  # Monday: the site only
    written = json.loads((tmp_path / "ccas-vault-check-ccas.json").read_text())
    assert written["when"].startswith("2026-12-07T04:00")
    assert written["summary"].startswith("check PROBLEMS")
    assert what["history"] in kinds(written)["history_broken"]
    assert f"history_broken {what['history']}" in result.stderr  # logged, one line a problem


UNINDEX = r"""
import sys
import transaction
from ccas.vault.scripts.instance import opened_app

with opened_app(sys.argv[1]) as app:
    catalog = app.ccas.portal_catalog
    brains = catalog.unrestrictedSearchResults(portal_type="VaultDocument", sort_on="path")
    path = brains[0].getPath()
    catalog.uncatalog_object(path)
    transaction.commit()
    print(path)
"""


def test_on_relstorage(postgresql, tmp_path):  # noqa: F811
    """RelStorage (``make start-pg``'s instance): the walk goes through the same storage API."""
    home = tmp_path / "instance"
    env = deployer_env()
    run(str(BIN / "ccas-vault-instance"), "init", str(home), "--port", str(free_port()),
        "--relstorage-dsn", postgresql.database("check"), "--clock-interval", "0",
        env=env)  # fmt: skip
    run(str(BIN / "ccas-vault-instance"), "site", str(home), "--demo", env=env)
    conf = home / "etc" / "zope.conf"
    status, report, seconds = check(conf)
    print(f"RelStorage demo checked in {seconds:.1f}s: {report['checked']}")
    assert report["problems"] == [] and status == 0
    assert report["checked"]["storage"] > 5000 and report["checked"]["blob files"] > 10
    script = tmp_path / "unindex.py"
    script.write_text(UNINDEX)
    unindexed = run(str(BIN / "python"), str(script), str(conf), env=env).stdout.split()[-1]
    status, report, _seconds = check(conf, "--skip", "storage")
    assert status == 1
    assert kinds(report) == {"not_indexed": [unindexed]}


def test_the_python_api_in_process(portal):
    """``check_site`` / ``check_storage`` on the test layer's site: clean, then a paper
    uncatalogued is found, and ``repair=("reindex",)`` puts it back."""
    from ccas.vault.check import check_site
    from ccas.vault.check import check_storage
    from vaults import consent_as_owner
    from vaults import deposit_as
    from vaults import make_agent
    from vaults import open_vault_as

    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"])
    report = check_site(portal)
    assert report.problems == [], report.text()
    assert report.checked["blobs"] == 1 and report.checked["history"] >= 1
    assert check_storage(portal._p_jar.db().storage).problems == []
    path = "/".join(paper.getPhysicalPath())
    portal.portal_catalog.uncatalog_object(path)
    report = check_site(portal)
    assert [(p.kind, p.path) for p in report.problems] == [("not_indexed", path)]
    repaired = check_site(portal, repair=("reindex",))
    assert repaired.problems == [] and [p.kind for p in repaired.repaired] == ["not_indexed"]
    assert check_site(portal).problems == []
