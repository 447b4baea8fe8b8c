"""An old database brought up to date by the upgrade steps equals a fresh install (issue 25).

Each ``tests/fixtures/upgrade/profile-*.tar.xz`` is the ``Data.fs`` of a bare site
(no demo) made by an older commit's own code (how: docs/upgrades.md, "The
fixtures").  The test opens a copy with today's code as an operator would —
``ccas-vault-instance init --data <copy>`` then ``ccas-vault-instance site``, which
runs the pending upgrade steps and says so — and compares what the profile
installs (:mod:`upgrade_snapshot`: registry records, workflows and chains, types,
catalog, site permissions, PAS plugins and their order, actions and configlets,
document types, organisations, checklists, workflow policies, the vault
directory) with a site freshly created by today's code.
"""

from pathlib import Path
from real_instance import deployer_env
from servers import BIN
from servers import run
import json
import pytest
import re
import subprocess
import sys
import tarfile


pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
FIXTURES = sorted((HERE / "fixtures" / "upgrade").glob("profile-*.tar.xz"))
SITE_ID = "ccas"
TOOL = str(BIN / "ccas-vault-instance")
METADATA = HERE.parent / "profiles" / "default" / "metadata.xml"

#: What may legitimately differ between a fresh site and an upgraded one, with why.
#: Anything else that differs fails the test.
MAY_DIFFER = {
    # The time the theme's custom CSS was last saved: the install's own time.
    ("registry", "plone.app.theming.interfaces.IThemeSettings.custom_css_timestamp"),
}


def profile_version():
    return re.search(r"<version>(\d+)</version>", METADATA.read_text()).group(1)


def snapshot(home):
    result = run(sys.executable, str(HERE / "upgrade_snapshot.py"), str(home), SITE_ID,
                 env=deployer_env())  # fmt: skip
    return json.loads(result.stdout)


def differences(fresh, upgraded):
    """``section key: fresh value != upgraded value`` lines, allowed ones left out."""
    lines = []
    for section in sorted(set(fresh) | set(upgraded)):
        mine, theirs = fresh.get(section, {}), upgraded.get(section, {})
        for key in sorted(set(mine) | set(theirs)):
            if (section, key) in MAY_DIFFER or mine.get(key) == theirs.get(key):
                continue
            missing = "(missing)"
            lines.append(
                f"{section} {key}:\n  fresh:    {str(mine.get(key, missing))[:400]}"
                f"\n  upgraded: {str(theirs.get(key, missing))[:400]}"
            )
    return lines


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The snapshot of a bare site created by today's code."""
    home = tmp_path_factory.mktemp("fresh")
    env = deployer_env()
    run(TOOL, "init", str(home), "--data", str(home / "filestorage"), env=env)
    result = run(TOOL, "site", str(home), "--site-id", SITE_ID, env=env, cwd=home)
    assert f"Site '{SITE_ID}' created." in result.stdout
    assert "Upgrading" not in result.stdout
    return snapshot(home)


def test_there_is_a_fixture_of_the_first_profile():
    assert "profile-1000.tar.xz" in [path.name for path in FIXTURES]
    assert all(path.stat().st_size < 1_000_000 for path in FIXTURES)


def test_the_fresh_site_has_every_preloaded_collection(fresh):
    """The comparison compares something: a fresh site's records and definitions."""
    assert fresh["site"]["profile_versions"]["ccas.vault:default"] == [profile_version()]
    names = fresh["collections"].keys()
    for kind, count in (("document_type", 18), ("organisation", 2), ("checklist", 4)):
        assert sum(name.startswith(kind + "/") for name in names) >= count, kind
    assert fresh["site"]["coffres"]["portal_type"] == "VaultDirectory"
    assert "ccas_vault_session_ender" in fresh["pas"]["active/ICredentialsResetPlugin"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.name.split(".")[0])
def test_an_upgraded_old_database_equals_a_fresh_install(fixture, fresh, tmp_path):
    old_version = fixture.name.split(".")[0].split("-")[1]
    data = tmp_path / "filestorage"
    data.mkdir()
    with tarfile.open(fixture) as archive:
        archive.extractall(data, filter="data")
    env = deployer_env()
    run(TOOL, "init", str(tmp_path), "--data", str(data), env=env)
    # What make start runs on an existing database: it upgrades, and says so.
    result = run(TOOL, "site", str(tmp_path), "--site-id", SITE_ID, env=env, cwd=tmp_path)
    target = profile_version()
    if old_version == target:  # the last release's database, before the next step
        assert "Upgrading" not in result.stdout
    else:
        assert f"Upgrading ccas.vault: {old_version} → {target}" in result.stdout
        assert f"ccas.vault upgraded: {old_version} → {target}." in result.stdout
    assert f"Site '{SITE_ID}' already there." in result.stdout

    diff = differences(fresh, snapshot(tmp_path))
    assert not diff, (
        f"{fixture.name} upgraded to {target} differs from a fresh install in {len(diff)} "
        "place(s) (a change of profiles/default without an upgrade step bringing it?):\n"
        + "\n".join(diff[:40])
    )

    if fixture != FIXTURES[0]:
        return
    # Upgrading again finds nothing to do (checked once: each run loads Zope).
    again = run(TOOL, "upgrade", str(tmp_path), "--site-id", SITE_ID, env=env, cwd=tmp_path)
    assert "Back up first" in again.stdout
    assert "ccas.vault is up to date" in again.stdout
    # A site that is not there: exit 1, said.
    missing = subprocess.run([TOOL, "upgrade", str(tmp_path), "--site-id", "nowhere"],
                             capture_output=True, text=True, env=env, cwd=tmp_path)  # fmt: skip
    assert missing.returncode == 1
    assert "No site 'nowhere' in this database." in missing.stderr
