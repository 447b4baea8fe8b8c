"""The add-on installs from a built wheel, profiles included.

The GenericSetup profiles live in the top-level ``profiles/`` folder of the
source tree.  This test builds the sdist and the wheel (the wheel from the
sdist, as ``python -m build`` does), installs the wheel in a fresh
virtualenv against ``constraints.txt``, and creates a Plone site there with
``ccas.vault:default``: the profile must be found inside the installed
package, not in this checkout.
"""

from pathlib import Path
from servers import run
from xml.etree import ElementTree
import json
import os
import pytest
import sys
import zipfile


pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

CHECK_SCRIPT = """
import json, sys
from ccas.vault.scripts.instance import _open_app
import ccas.vault

app = _open_app(sys.argv[1])
site = app["ccas"]
setup = site.portal_setup
info = setup.getProfileInfo("ccas.vault:default")
print(json.dumps({
    "package": ccas.vault.__file__,
    "profiles_dir": str(ccas.vault.profiles_dir()),
    "profile_version": setup.getLastVersionForProfile("ccas.vault:default"),
    "profile_path": info["path"],
    "roles": sorted(site.valid_roles()),
}))
"""


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT))
    return out


@pytest.fixture(scope="module")
def wheel(dist):
    (path,) = dist.glob("ccas_vault-*.whl")
    return path


def test_wheel_ships_the_profiles_zcml_and_catalogs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for profile in ("default", "uninstall", "demo"):
        assert f"ccas/vault/profiles/{profile}/metadata.xml" in names
    assert "ccas/vault/profiles/default/rolemap.xml" in names
    assert "ccas/vault/configure.zcml" in names
    assert "ccas/vault/profiles.zcml" in names
    for lang in ("fr", "en"):
        assert f"ccas/vault/locales/{lang}/LC_MESSAGES/ccas.vault.po" in names
    assert not any(name.startswith("profiles/") for name in names)


def test_sdist_ships_the_top_level_profiles(dist):
    import tarfile

    (sdist,) = dist.glob("ccas_vault-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith("/profiles/default/metadata.xml") for name in names)


def test_default_profile_installs_from_the_wheel_in_a_fresh_virtualenv(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv))
    python = venv / "bin" / "python"
    constraints = str(ROOT / "constraints.txt")
    run(str(python), "-m", "pip", "install", "--quiet", "-c", constraints, str(wheel))

    env = {**os.environ, "ADMIN_PASSWORD": "admin"}
    instance = tmp_path / "instance"
    run(str(venv / "bin" / "ccas-vault-instance"), "init", str(instance), "--port", "8999", env=env)
    run(str(venv / "bin" / "ccas-vault-instance"), "site", str(instance), env=env, cwd=tmp_path)

    result = run(
        str(python), "-c", CHECK_SCRIPT, str(instance / "etc" / "zope.conf"), env=env, cwd=tmp_path
    )
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    site_packages = str(venv / "lib")
    assert facts["package"].startswith(site_packages)
    assert facts["profiles_dir"].startswith(site_packages)
    assert facts["profile_path"].startswith(facts["profiles_dir"])
    assert str(ROOT) not in facts["profile_path"]
    metadata = ElementTree.parse(ROOT / "profiles" / "default" / "metadata.xml")
    assert facts["profile_version"] == [metadata.findtext("version")]
    assert {"Beneficiary", "VaultAgent", "GEDConnector", "RecordsManager"} <= set(facts["roles"])
