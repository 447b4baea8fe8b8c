"""Backups with repozo, a copy of the blobs and of the keys, restored on a new server
(decisions 0023, 0047; issue 25).

A real instance on FileStorage (``Data.fs`` + ``blobstorage``), built by the project's
commands in a deployer's environment (its own key folder ``ccas-vault-keys`` beside the
instance, nothing inherited from the test process), gets the CCAS site and papers (half
of them sealed), deposited by offline processes (``tests/offline.py``).
``ccas-vault-backup backup`` refuses to run until the operator says where the keys go;
it then saves twice: a full backup with the keys copied to another folder (another
disk in production), then an incremental one with the keys encrypted by a passphrase.
The whole server is then lost — data folder and key folder.

On a new server, a restore without the keys is refused (it names the missing master
key, exits 1 and keeps nothing); with them every paper opens over HTTP, and
``ccas-vault-check`` and ``ccas-vault-integrity`` are clean.  Without its key folder the
restored instance answers a JSON client ``503 master_key_missing`` and the integrity
tools say "key missing".  The monthly drill (``ccas-vault-backup check``, ``make
restore-check``) prints one line: OK with the keys, FAILED without.
"""

from ccas.vault.scripts.backup import stamps
from ccas.vault.scripts.instance import write_instance
from pathlib import Path
from real_instance import deployer_env
from servers import BIN
from servers import free_port
from servers import run
from servers import zope_server
from types import SimpleNamespace
import hashlib
import json
import pytest
import requests
import shutil
import subprocess
import sys
import time


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
PASSWORD = "Mot-de-passe-long-1"  # tests/vaults.py: the owners' password
PASSPHRASE = "une phrase de passe assez longue"


def offline(zope_conf, *args, env=None):
    """Run ``tests/offline.py`` in its own process; return its JSON answer."""
    result = run(sys.executable, str(TESTS / "offline.py"), str(zope_conf), *args, env=env)
    return json.loads(result.stdout.splitlines()[-1])


def tool(*args, env=None, name="ccas-vault-backup"):
    """Run a console script; return the completed process (whatever its exit code)."""
    return subprocess.run(
        [str(BIN / name), *map(str, args)],
        capture_output=True,
        text=True,
        env=env or deployer_env(),
    )


def fresh_instance(server, name, port=8080):
    """A new instance folder on ``server`` whose data folder does not exist yet (its key
    folder: ``server/ccas-vault-keys``, as ``var/``); its zope.conf and data folder."""
    home, data = server / name, server / f"{name}-data"
    write_instance(home, data=data, port=port)
    shutil.rmtree(data)  # write_instance prepares an empty one: restore starts from nothing
    return home / "etc" / "zope.conf", data


@pytest.fixture(scope="module")
def backed_up(tmp_path_factory):
    """An instance backed up twice (full, then incremental), then lost with its keys."""
    root = tmp_path_factory.mktemp("backup")
    server, keydisk = root / "server1", root / "keydisk"
    home, data, backups = server / "instance", server / "data", server / "backups"
    env = deployer_env()
    write_instance(home, data=data)
    run(str(BIN / "ccas-vault-instance"), "site", str(home), env=env)
    conf = home / "etc" / "zope.conf"
    keys = server / "ccas-vault-keys"
    master = (keys / "master-current").read_text().strip()

    first = offline(conf, "deposit", "amartin", "4", env=env)
    refusals = {
        "none": tool("backup", "--data", data, "--to", backups),
        "inside": tool("backup", "--data", data, "--to", backups, "--keys-to", backups / "k"),
        "short": tool(
            "backup",
            "--data",
            data,
            "--to",
            backups,
            env=deployer_env(CCAS_VAULT_BACKUP_PASSPHRASE="court"),
        ),
    }
    refused_nothing_saved = not backups.exists()
    saved = tool("backup", "--data", data, "--to", backups, "--keys-to", keydisk)
    assert saved.returncode == 0, saved.stderr
    time.sleep(1.1)  # repozo names its files by the second
    second = offline(conf, "deposit", "bleroy", "3", env=env)
    passphrase = root / "passphrase"
    passphrase.write_text(PASSPHRASE + "\n")
    saved_again = tool(
        "backup", "--data", data, "--to", backups, "--keys-passphrase-file", passphrase
    )
    assert saved_again.returncode == 0, saved_again.stderr
    shutil.rmtree(data)  # the disaster: the data and the keys are gone
    shutil.rmtree(keys)
    return SimpleNamespace(
        root=root, backups=backups, keydisk=keydisk, passphrase=passphrase, master=master,
        first=first, second=second, refusals=refusals, nothing_saved=refused_nothing_saved,
        saved=saved,
    )  # fmt: skip


def test_a_backup_refuses_to_run_until_the_keys_have_a_safe_destination(backed_up):
    none, inside, short = (backed_up.refusals[k] for k in ("none", "inside", "short"))
    assert none.returncode == 1
    assert "ne sont pas sauvegardées" in none.stderr and "KEYS_BACKUP=" in none.stderr
    assert "Rien n'a été sauvegardé" in none.stderr
    assert inside.returncode == 1 and "la sauvegarde des données" in inside.stderr
    assert short.returncode == 1 and "trop courte" in short.stderr
    assert backed_up.nothing_saved
    assert "même disque" in backed_up.saved.stderr  # a warning, not a refusal


def test_two_backups_data_and_keys_never_in_clear_beside_the_data(backed_up):
    repository = backed_up.backups / "filestorage"
    first, second = stamps(repository)
    assert (repository / f"{first}.fsz").is_file()
    assert (repository / f"{second}.deltafsz").is_file()  # only what changed since
    copies = sorted(path.name for path in (backed_up.backups / "blobs").iterdir())
    assert copies == [f"{first}.tar", f"{second}.tar"]
    assert (backed_up.backups.stat().st_mode & 0o777) == 0o700
    assert sorted(p.name for p in backed_up.keydisk.iterdir()) == [f"{first}.keys.tar"]
    sealed = backed_up.backups / "keys" / f"{second}.keys.tar.enc"
    assert sorted(p.name for p in (backed_up.backups / "keys").iterdir()) == [sealed.name]
    assert (sealed.stat().st_mode & 0o777) == 0o600
    assert b"master-" not in sealed.read_bytes() and b"PRIVATE KEY" not in sealed.read_bytes()
    assert (
        f"master-{backed_up.master}.key".encode()
        in (backed_up.keydisk / f"{first}.keys.tar").read_bytes()
    )


def test_a_restore_without_the_keys_is_refused_and_names_the_missing_key(backed_up):
    _conf, data = fresh_instance(backed_up.root / "server2", "instance")
    refused = tool("restore", "--from", backed_up.backups, "--data", data)
    assert refused.returncode == 1
    assert f"master-{backed_up.master}.key" in refused.stderr, refused.stderr
    assert "ne peut pas être relue" in refused.stderr and "rien n'a été gardé" in refused.stderr
    assert not (data / "Data.fs").exists()
    wrong = tool("restore", "--from", backed_up.backups, "--data", data,
                 env=deployer_env(CCAS_VAULT_BACKUP_PASSPHRASE="pas la bonne phrase"))  # fmt: skip
    assert wrong.returncode == 1 and "n'ouvre pas la copie des clés" in wrong.stderr
    assert not (data / "Data.fs").exists()


def test_with_the_keys_every_paper_opens_over_http_and_the_checks_are_clean(backed_up):
    server = backed_up.root / "server3"
    port = free_port()
    conf, data = fresh_instance(server, "instance", port=port)
    restored = tool("restore", "--from", backed_up.backups, "--data", data,
                    "--keys-passphrase-file", backed_up.passphrase)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "1 clé(s) maîtresse(s) présente(s), 1 pièce(s) ouverte(s)" in restored.stdout
    assert (server / "ccas-vault-keys" / f"master-{backed_up.master}.key").is_file()
    expected = {**backed_up.first, **backed_up.second}
    assert len(expected) == 7
    env = deployer_env()
    checked = tool(conf, "--json", name="ccas-vault-check")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert json.loads(checked.stdout)["problems"] == []
    integrity = tool(conf, name="ccas-vault-integrity")
    assert integrity.returncode == 0, integrity.stdout + integrity.stderr
    assert integrity.stdout.splitlines()[-1].startswith("integrity OK: 7 papers (4 certified)")

    with zope_server(server / "instance", port, env=env, inherit=False) as url:
        for path, sha256 in expected.items():
            owner = "amartin" if "amartin" in path or path in backed_up.first else "bleroy"
            answer = requests.get(f"{url}{path}/@@download/file", auth=(owner, PASSWORD),
                                  timeout=60, allow_redirects=False)  # fmt: skip
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            assert hashlib.sha256(answer.content).hexdigest() == sha256

    # The same server without its key folder: a JSON client gets the API's error,
    # the integrity tools say which key is missing (not "mismatch").
    empty = server / "no-keys"
    empty.mkdir()
    lost = deployer_env(CCAS_VAULT_KEY_DIR=str(empty))
    integrity = tool(conf, env=lost, name="ccas-vault-integrity")
    assert integrity.returncode == 1
    assert "MISMATCH" not in integrity.stdout, integrity.stdout
    assert "KEY MISSING /ccas/coffres/" in integrity.stdout
    assert f"restore master-{backed_up.master}.key from the key backup" in integrity.stdout
    assert "integrity KEY MISSING: 7 papers" in integrity.stdout.splitlines()[-1]
    checked = tool(conf, "--json", env=lost, name="ccas-vault-check")
    kinds = {problem["kind"] for problem in json.loads(checked.stdout)["problems"]}
    assert checked.returncode == 1 and kinds == {"key_missing"}, checked.stdout[-2000:]
    with zope_server(server / "instance", port, env=lost, inherit=False) as url:
        path = next(iter(backed_up.first))
        answer = requests.get(f"{url}{path}/@@download/file", auth=("amartin", PASSWORD),
                              headers={"Accept": "application/json"}, timeout=60)  # fmt: skip
        assert answer.status_code == 503, answer.text[:500]
        assert answer.json()["error"]["type"] == "master_key_missing"
        assert b"%PDF" not in answer.content


def test_the_first_backups_date_restores_the_state_of_then(backed_up):
    first_stamp = stamps(backed_up.backups / "filestorage")[0]
    conf, data = fresh_instance(backed_up.root / "server4", "instance")
    restored = tool("restore", "--from", backed_up.backups, "--data", data,
                    "--date", first_stamp, "--keys-from", backed_up.keydisk)  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert first_stamp in restored.stdout
    papers = offline(conf, "papers", env=deployer_env())
    assert {path: paper["sha256"] for path, paper in papers.items()} == backed_up.first
    assert all(paper["problems"] == [] for paper in papers.values())

    # The data folder now holds a database: a second restore changes nothing.
    before = hashlib.sha256((data / "Data.fs").read_bytes()).hexdigest()
    again = tool("restore", "--from", backed_up.backups, "--data", data,
                 "--keys-from", backed_up.keydisk)  # fmt: skip
    assert again.returncode == 1
    assert "contient déjà une base : rien n'a été modifié" in again.stderr
    assert hashlib.sha256((data / "Data.fs").read_bytes()).hexdigest() == before


def test_the_restore_drill_prints_a_one_line_verdict(backed_up, tmp_path):
    ok = tool("check", "--from", backed_up.backups, "--keys-passphrase-file",
              backed_up.passphrase, "--work", tmp_path)  # fmt: skip
    assert ok.returncode == 0, ok.stdout + ok.stderr
    [verdict] = ok.stdout.splitlines()
    assert verdict.startswith("restore-check OK: backup "), verdict
    assert "7 papers, 1 master key(s) present and opening a paper" in verdict
    assert "ccas-vault-check: no problem" in verdict
    print(verdict)
    failed = tool("check", "--from", backed_up.backups, "--work", tmp_path)  # no key given
    assert failed.returncode == 1
    [verdict] = failed.stdout.splitlines()
    assert (
        verdict.startswith("restore-check FAILED:") and f"master-{backed_up.master}.key" in verdict
    )
    assert list(tmp_path.iterdir()) == []  # the temporary restore is removed
    print(verdict)


def test_nothing_to_back_up_and_a_date_before_any_backup_are_refused(backed_up, tmp_path):
    missing = tool("backup", "--data", tmp_path / "nowhere", "--to", tmp_path / "backups",
                   "--keys-to", tmp_path / "keys")  # fmt: skip
    assert missing.returncode == 1
    assert "Aucune base à sauvegarder" in missing.stderr
    assert not (tmp_path / "backups").exists()
    too_early = tool(
        "restore", "--from", backed_up.backups, "--data", tmp_path / "data", "--date", "2000-01-01"
    )
    assert too_early.returncode == 1
    assert "Aucune sauvegarde antérieure ou égale au 2000-01-01" in too_early.stderr
    assert not (tmp_path / "data").exists()
