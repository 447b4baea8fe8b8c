"""A change of what ``profiles/default`` installs comes with a version bump (issue 25).

``tests/profile_versions.txt`` records, for each version of the profile since 1008,
the fingerprint of what that version installs: the profile's files (XML without
comments and blank text, so a comment or a re-indentation is no change), the
fields of the registry interfaces the profile names (a new setting registered
from ``IVaultSettings`` is a change of the profile without a change of its
files), and the install handler.  Change any of them and this test fails until
``metadata.xml``'s version is bumped, an upgrade step brings the change to
existing sites and the new version's line is added (docs/upgrades.md)::

    .venv/bin/python tests/test_profile_versions.py   # prints the line to add
"""

from lxml import etree
from pathlib import Path
import hashlib
import re
import sys
import zope.dottedname.resolve
import zope.schema


ROOT = Path(__file__).parent.parent
PROFILE = ROOT / "profiles" / "default"
RECORDED = Path(__file__).parent / "profile_versions.txt"
INSTALL_HANDLER = ROOT / "src" / "ccas" / "vault" / "setuphandlers" / "install.py"
UPGRADES_ZCML = ROOT / "src" / "ccas" / "vault" / "upgrades" / "configure.zcml"


def profile_version():
    return int(re.search(r"<version>(\d+)</version>", (PROFILE / "metadata.xml").read_text())[1])


def _canonical_xml(path):
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True)
    tree = etree.parse(str(path), parser)
    if path.name == "metadata.xml":
        for version in tree.getroot().iterfind("version"):
            version.getparent().remove(version)
    return etree.tostring(tree, method="c14n")


def _schema(interface_name):
    """The fields of a registry interface: name, kind, required, default."""
    interface = zope.dottedname.resolve.resolve(interface_name)
    lines = []
    for name, field in zope.schema.getFieldsInOrder(interface):
        value_type = getattr(field, "value_type", None)
        lines.append(
            f"{name} {type(field).__name__} {type(value_type).__name__} "
            f"{field.required} {field.default!r}"
        )
    return "\n".join(lines).encode()


def fingerprint():
    """SHA-256 of what the profile installs (see the module's docstring)."""
    digest = hashlib.sha256()
    interfaces = set()
    for path in sorted(p for p in PROFILE.rglob("*") if p.is_file()):
        if path.suffix == ".xml":
            content = _canonical_xml(path)
            if path.parent.name == "registry":
                interfaces |= set(re.findall(rb'interface="([\w.]+)"', content))
        else:
            content = path.read_bytes()
        digest.update(f"{path.relative_to(PROFILE)}\0".encode() + content + b"\0")
    for name in sorted(interfaces):
        digest.update(name + b"\0" + _schema(name.decode()) + b"\0")
    digest.update(b"install.py\0" + INSTALL_HANDLER.read_bytes())
    return digest.hexdigest()


def recorded():
    """``{version: fingerprint}`` from ``profile_versions.txt`` (comments: ``#``)."""
    lines = (line.split("#")[0].split() for line in RECORDED.read_text().splitlines())
    return {int(parts[0]): parts[1] for parts in lines if parts}


def test_the_profile_did_not_change_without_a_version_bump():
    version, versions = profile_version(), recorded()
    line = f"{version} {fingerprint()}"
    assert version in versions, (
        f"profiles/default is at version {version}, which tests/profile_versions.txt does not "
        f"record: once its upgrade step brings the change to existing sites, add the line\n{line}"
    )
    assert versions[version] == fingerprint(), (
        f"profiles/default changed: bump metadata.xml (now {version}) and add an upgrade step "
        f"{version} → {version + 1} bringing the change to existing sites, then record "
        "the new version in tests/profile_versions.txt "
        "(.venv/bin/python tests/test_profile_versions.py prints the line; docs/upgrades.md)"
    )


def test_every_recorded_version_has_its_upgrade_step():
    versions = sorted(recorded())
    assert versions == sorted(set(versions))
    assert versions[-1] == profile_version()
    destinations = set(map(int, re.findall(r'destination="(\d+)"', UPGRADES_ZCML.read_text())))
    assert set(versions) <= destinations
    assert max(destinations) == profile_version()


if __name__ == "__main__":
    sys.stdout.write(f"{profile_version()} {fingerprint()}\n")
