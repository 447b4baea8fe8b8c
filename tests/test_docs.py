"""The documentation builds with Sphinx + MyST without a single warning (``make docs``), the
French guides are in it, and every picture the guides show exists and stays small (issue 8)."""

from pathlib import Path
import pytest
import re
import subprocess
import sys


DOCS = Path(__file__).parent.parent / "docs"
GUIDES = ("guide-usager", "guide-agent", "guide-archiviste", "api", "index")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
MAX_IMAGE_BYTES = 80_000


def images_of(markdown):
    return [target for target in IMAGE.findall(markdown) if "://" not in target]


#: a whole Sphinx build in a subprocess (about 10 s)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result, out / "html"


@pytest.mark.timeout(180)
def test_the_documentation_builds_without_warnings(built):
    result, _html = built
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "WARNING" not in result.stderr, result.stderr[-3000:]


@pytest.mark.timeout(180)
def test_the_guides_are_built_in_french(built):
    _result, html = built
    for name in GUIDES:
        assert (html / f"{name}.html").exists(), name
    usager = (html / "guide-usager.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in usager
    assert "Ouvrir un coffre" in usager
    agent = (html / "guide-agent.html").read_text(encoding="utf-8").replace("&#64;", "@")
    views = ("@@ouvrir-un-coffre", "@@feuille-accueil", "@@modeles-a-imprimer", "@@accueil-agent")
    for view in views:
        assert view in agent, view
    # The API page carries the OpenAPI document itself, and a download of it.
    api_page = (html / "api.html").read_text(encoding="utf-8").replace("&#64;", "@")
    assert "openapi" in api_page and "/@vault-openapi" in api_page
    assert list(html.glob("_downloads/*/openapi.yaml"))


@pytest.mark.timeout(180)
def test_every_picture_of_the_guides_exists_and_is_small(built):
    _result, html = built
    shown = 0
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts:
            continue
        for target in images_of(page.read_text(encoding="utf-8")):
            picture = (page.parent / target).resolve()
            assert picture.is_file(), f"{page.name}: {target} is missing"
            assert picture.stat().st_size <= MAX_IMAGE_BYTES, f"{target} is too large"
            assert (html / "_images" / picture.name).is_file(), f"{target} is not in the build"
            shown += 1
    usager = (DOCS / "guide-usager.md").read_text(encoding="utf-8")
    assert len(images_of(usager)) >= 10  # the FALC guide is mostly pictures
    assert shown >= len(images_of(usager))


def test_the_screenshot_script_knows_every_picture_of_the_user_guide():
    """``make docs-screenshots`` refreshes exactly the pictures the user guide shows."""
    sys.path.insert(0, str(DOCS))
    try:
        import update_screenshots
    finally:
        sys.path.remove(str(DOCS))
    usager = (DOCS / "guide-usager.md").read_text(encoding="utf-8")
    used = {Path(target).stem for target in images_of(usager)}
    assert used == set(update_screenshots.SHOTS["usager"])
    for folder, guide in (("agent", "guide-agent.md"), ("archiviste", "guide-archiviste.md")):
        text = (DOCS / guide).read_text(encoding="utf-8")
        assert {Path(target).stem for target in images_of(text)} == set(
            update_screenshots.SHOTS[folder]
        ), guide
    assert update_screenshots.main(["--check"]) == 0
