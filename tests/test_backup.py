"""Backups with repozo and a copy of the blobs, restored into a fresh instance (decision 0023).

A real instance on FileStorage (``Data.fs`` + ``blobstorage``) gets the CCAS site and
papers (half of them sealed), deposited by offline processes (``tests/offline.py``).
``ccas-vault-backup backup`` saves it twice: a full backup, then an incremental one after
more deposits.  The original data folder is then destroyed, and ``ccas-vault-backup
restore`` rebuilds it into new instance folders: the latest state has every paper with
the same bytes (SHA-256) and a valid seal, checked by ``ccas-vault-integrity`` too, and the
state at the first backup's date has exactly the first papers.  Bad requests (nothing to
back up, a restore over an existing database, a date before any backup) are refused with
a French message, and nothing is changed.
"""

from ccas.vault.scripts.backup import stamps
from ccas.vault.scripts.instance import write_instance
from pathlib import Path
from servers import BIN
from servers import run
from types import SimpleNamespace
import hashlib
import json
import pytest
import shutil
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent


def offline(zope_conf, *args):
    """Run ``tests/offline.py`` in its own process; return its JSON answer."""
    result = run(sys.executable, str(TESTS / "offline.py"), str(zope_conf), *args)
    return json.loads(result.stdout.splitlines()[-1])


def tool(*args):
    """Run ``ccas-vault-backup``; return the completed process (whatever its exit code)."""
    return subprocess.run(
        [str(BIN / "ccas-vault-backup"), *map(str, args)], capture_output=True, text=True
    )


def fresh_instance(root, name):
    """A new instance folder whose data folder does not exist yet; its zope.conf."""
    home, data = root / name, root / f"{name}-data"
    write_instance(home, data=data)
    shutil.rmtree(data)  # write_instance prepares an empty one: restore starts from nothing
    return home / "etc" / "zope.conf", data


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """An instance backed up twice (full, then incremental), then destroyed."""
    root = tmp_path_factory.mktemp("backup")
    home, data, backups = root / "instance", root / "data", root / "backups"
    write_instance(home, data=data)
    run(str(BIN / "ccas-vault-instance"), "site", str(home))
    conf = home / "etc" / "zope.conf"

    first = offline(conf, "deposit", "amartin", "4")
    saved = tool("backup", "--data", data, "--to", backups)
    assert saved.returncode == 0, saved.stderr
    time.sleep(1.1)  # repozo names its files by the second
    second = offline(conf, "deposit", "bleroy", "3")
    saved_again = tool("backup", "--data", data, "--to", backups)
    assert saved_again.returncode == 0, saved_again.stderr
    shutil.rmtree(data)  # the disaster
    return SimpleNamespace(root=root, backups=backups, first=first, second=second)


def test_two_backups_a_full_one_then_an_incremental_one(backed_up):
    repository = backed_up.backups / "filestorage"
    first, second = stamps(repository)
    assert (repository / f"{first}.fsz").is_file()
    assert (repository / f"{second}.deltafsz").is_file()  # only what changed since
    copies = sorted(path.name for path in (backed_up.backups / "blobs").iterdir())
    assert copies == [f"{first}.tar", f"{second}.tar"]
    assert (backed_up.backups.stat().st_mode & 0o777) == 0o700


def test_the_latest_backup_restores_every_paper_with_its_seal(backed_up):
    conf, data = fresh_instance(backed_up.root, "restored")
    restored = tool("restore", "--from", backed_up.backups, "--data", data)
    assert restored.returncode == 0, restored.stderr
    assert (data / "Data.fs").is_file() and (data / "blobstorage").is_dir()

    papers = offline(conf, "papers")
    expected = {**backed_up.first, **backed_up.second}
    assert len(expected) == 7
    assert {path: paper["sha256"] for path, paper in papers.items()} == expected
    assert all(paper["recorded"] == paper["sha256"] for paper in papers.values())
    assert sum(paper["sealed"] for paper in papers.values()) == 4
    assert [path for path, paper in papers.items() if paper["problems"]] == []
    check = subprocess.run(
        [str(BIN / "ccas-vault-integrity"), str(conf)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.splitlines()[-1].startswith("integrity OK: 7 papers (4 certified)")


def test_the_first_backups_date_restores_the_state_of_then(backed_up):
    first_stamp = stamps(backed_up.backups / "filestorage")[0]
    conf, data = fresh_instance(backed_up.root, "earlier")
    restored = tool("restore", "--from", backed_up.backups, "--data", data, "--date", first_stamp)
    assert restored.returncode == 0, restored.stderr
    assert first_stamp in restored.stdout
    papers = offline(conf, "papers")
    assert {path: paper["sha256"] for path, paper in papers.items()} == backed_up.first
    assert all(paper["problems"] == [] for paper in papers.values())


def test_a_restore_over_an_existing_database_is_refused_and_changes_nothing(backed_up):
    _conf, data = fresh_instance(backed_up.root, "occupied")
    assert tool("restore", "--from", backed_up.backups, "--data", data).returncode == 0
    before = hashlib.sha256((data / "Data.fs").read_bytes()).hexdigest()
    again = tool("restore", "--from", backed_up.backups, "--data", data)
    assert again.returncode == 1
    assert "contient déjà une base : rien n'a été modifié" in again.stderr
    assert hashlib.sha256((data / "Data.fs").read_bytes()).hexdigest() == before


def test_nothing_to_back_up_and_a_date_before_any_backup_are_refused(backed_up, tmp_path):
    missing = tool("backup", "--data", tmp_path / "nowhere", "--to", tmp_path / "backups")
    assert missing.returncode == 1
    assert "Aucune base à sauvegarder" in missing.stderr
    assert not (tmp_path / "backups").exists()
    too_early = tool(
        "restore", "--from", backed_up.backups, "--data", tmp_path / "data", "--date", "2000-01-01"
    )
    assert too_early.returncode == 1
    assert "Aucune sauvegarde antérieure ou égale au 2000-01-01" in too_early.stderr
    assert not (tmp_path / "data").exists()
