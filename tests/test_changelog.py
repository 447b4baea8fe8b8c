"""Releases and their changelog (issue 25; docs/upgrades.md, "Releases").

``CHANGES.md`` holds one entry per release, newest first, naming the profile version it
installs; the changes since are fragments in ``news/`` that towncrier gathers at the next
release.  A release keeps a fixture of its database (a bare site) for
:mod:`test_upgrade_equivalence`.
"""

from packaging.version import Version
from pathlib import Path
import re
import tomllib


ROOT = Path(__file__).parent.parent
CHANGES = ROOT / "CHANGES.md"
NEWS = ROOT / "news"
FIXTURES = Path(__file__).parent / "fixtures" / "upgrade"
RELEASE = re.compile(r"^## (\S+) \((\d{4}-\d\d-\d\d)\)$", re.MULTILINE)
PROFILE = re.compile(r"Profile `ccas.vault:default` version (\d+)\.")


def package_version():
    return Version(re.search(r'version="([^"]+)"', (ROOT / "setup.py").read_text())[1])


def releases():
    """``[(version, date, text)]`` of CHANGES.md, in the file's order (newest first)."""
    text = CHANGES.read_text(encoding="utf-8")
    found = list(RELEASE.finditer(text))
    ends = [match.start() for match in found[1:]] + [len(text)]
    return [
        (Version(match[1]), match[2], text[match.end() : end])
        for match, end in zip(found, ends, strict=True)
    ]


def profile_version():
    metadata = (ROOT / "profiles" / "default" / "metadata.xml").read_text()
    return int(re.search(r"<version>(\d+)</version>", metadata)[1])


def fragment_types():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["towncrier"]
    assert config["directory"].rstrip("/") == "news" and config["filename"] == "CHANGES.md"
    return [kind["directory"] for kind in config["type"]]


def fragments():
    return [path for path in NEWS.iterdir() if path.name != "README.md"]


def test_the_package_version_has_its_changelog_entry():
    version, found = package_version(), releases()
    assert found, "CHANGES.md has no release"
    versions = [release[0] for release in found]
    assert versions == sorted(versions, reverse=True), "CHANGES.md: newest release first"
    if version.is_devrelease:  # between two releases: the changes are in news/
        assert version.base_version not in {str(v) for v in versions}
        assert versions[0] < version
    else:  # the release itself
        assert versions[0] == version, f"CHANGES.md has no entry '## {version} (date)' on top"


def test_every_release_names_its_profile_and_keeps_its_database():
    for version, _date, text in releases():
        profile = PROFILE.search(text)
        assert profile, f"{version}: name the profile version ('Profile `ccas.vault:default` …')"
        fixture = FIXTURES / f"profile-{profile[1]}.tar.xz"
        assert fixture.exists(), f"{version}: keep its database as {fixture.name} (upgrades.md)"


def test_news_fragments_are_named_for_towncrier():
    kinds = "|".join(fragment_types())
    name = re.compile(rf"^(\d+|\+[\w-]+)\.({kinds})(\.\d+)?$")
    for path in fragments():
        assert name.match(path.name), f"news/{path.name}: <issue>.<{kinds}>[.n]"
        assert path.read_text(encoding="utf-8").strip(), f"news/{path.name} is empty"


def test_a_profile_newer_than_the_last_release_comes_with_an_upgrade_fragment():
    released = int(PROFILE.search(releases()[0][2])[1])
    if profile_version() > released:
        assert any(path.name.split(".")[1] == "upgrade" for path in fragments()), (
            f"the profile is at {profile_version()}, the last release installs {released}: "
            "say what the new upgrade step does in news/<issue>.upgrade"
        )
