"""RelStorage on PostgreSQL: the storage for large cities, for real (decision 0023).

A throw-away PostgreSQL cluster (``tests/pg.py``) holds the database.  These tests prove that
* an instance written by ``ccas-vault-instance init --relstorage-dsn`` creates the site in
  PostgreSQL, serves papers deposited by another process at the same time (a second
  RelStorage client), keeps their bytes in the database (not on the Zope host: the local
  blob cache is wiped) and serves them again, unchanged and still sealed, after a restart;
* the access matrix and the GED tests pass with the test layers' databases on PostgreSQL
  (``CCAS_VAULT_TEST_STORAGE``), and really wrote the Zope application and the Plone
  site there.
"""

from ccas.vault.scripts.instance import write_instance
from pathlib import Path
from pg import postgresql  # noqa: F401 (fixture)
from servers import BIN
from servers import free_port
from servers import run
from servers import zope_server
from types import SimpleNamespace
import hashlib
import json
import os
import pytest
import requests
import shutil
import subprocess
import sys


pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
HOST = "127.0.0.1"
PASSWORD = "Mot-de-passe-long-1"  # tests/vaults.py
JSON = {"Accept": "application/json"}
SUITE = ("tests/test_access_matrix.py", "tests/test_ged_letters.py", "tests/test_ged_batch.py")


def offline(zope_conf, *args):
    """Run ``tests/offline.py`` in its own process; return its JSON answer."""
    result = run(sys.executable, str(TESTS / "offline.py"), str(zope_conf), *args)
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def instance(postgresql, tmp_path_factory):  # noqa: F811
    """A Zope instance on RelStorage with the CCAS site created in PostgreSQL."""
    dsn = postgresql.database("instance")
    home = tmp_path_factory.mktemp("relstorage") / "instance"
    port = free_port()
    write_instance(home, host=HOST, port=port, threads=2, relstorage_dsn=dsn)
    run(str(BIN / "ccas-vault-instance"), "site", str(home))
    return SimpleNamespace(home=home, port=port, dsn=dsn, conf=home / "etc" / "zope.conf")


def download(url, path, owner):
    """The bytes of the paper at ``path``, downloaded over HTTP by its owner."""
    auth = (owner, PASSWORD)
    info = requests.get(url + path, headers=JSON, auth=auth, timeout=60)
    assert info.status_code == 200, info.text
    data = requests.get(info.json()["file"]["download"], auth=auth, timeout=60)
    assert data.status_code == 200
    return data.content


def test_the_instance_configuration_is_a_relstorage_client(instance):
    conf = instance.conf.read_text()
    assert "%import relstorage" in conf
    assert f"dsn {instance.dsn}" in conf
    assert "shared-blob-dir false" in conf  # the blobs live in PostgreSQL
    assert "<filestorage>" not in conf and "<zeoclient>" not in conf


def test_papers_live_in_postgresql_and_survive_a_restart(instance, postgresql):  # noqa: F811
    with zope_server(instance.home, instance.port, host=HOST) as url:
        # Deposited by another process while Zope serves the same database.
        stored = offline(instance.conf, "deposit", "jdupont", "3")
        assert len(stored) == 3
        for path, sha256 in stored.items():
            assert hashlib.sha256(download(url, path, "jdupont")).hexdigest() == sha256

    [[chunks]] = postgresql.fetch(instance.dsn, "SELECT count(*) FROM blob_chunk")
    assert chunks >= 3
    assert not list((instance.home / "var" / "filestorage").glob("Data.fs*"))
    shutil.rmtree(instance.home / "var" / "blobcache")  # the next reads come from PostgreSQL
    (instance.home / "var" / "blobcache").mkdir(mode=0o700)

    with zope_server(instance.home, instance.port, host=HOST) as url:
        for path, sha256 in stored.items():
            assert hashlib.sha256(download(url, path, "jdupont")).hexdigest() == sha256
    papers = offline(instance.conf, "papers")
    assert {path: paper["sha256"] for path, paper in papers.items()} == stored
    assert sum(paper["sealed"] for paper in papers.values()) == 2  # the 1st and the 3rd
    assert all(paper["problems"] == [] for paper in papers.values())


@pytest.mark.timeout(1800)  # the access matrix alone runs ~3400 checks (5 to 6 minutes)
def test_the_access_matrix_and_the_ged_tests_pass_on_postgresql(postgresql):  # noqa: F811
    dsn = postgresql.database("suite")
    site_rows = (
        "SELECT count(DISTINCT zoid) FROM object_state WHERE position(%s::bytea in state) > 0"
    )
    env = {**os.environ, "CCAS_VAULT_TEST_STORAGE": dsn}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITE],
        cwd=TESTS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
    # The layers committed the Zope application and the Plone site to PostgreSQL.
    [[objects]] = postgresql.fetch(dsn, "SELECT count(*) FROM current_object")
    [[sites]] = postgresql.fetch(dsn, site_rows, (b"Products.CMFPlone.Portal\nPloneSite",))
    [[apps]] = postgresql.fetch(dsn, site_rows, (b"OFS.Application\nApplication",))
    assert sites >= 1 and apps >= 1  # the objects, and the references naming their class
    assert objects > 1000
