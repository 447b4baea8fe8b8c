"""What ``make start`` does: an instance on an embedded ZODB, the demo site, served.

The Makefile runs ``ccas-vault-instance init``, ``ccas-vault-instance site
--demo`` and ``runwsgi``; these tests run the same commands in a temporary
folder, on a free port, then use the site with HTTP and with Chromium.
"""

from real_instance import deployer_env
from servers import BIN
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from servers import free_port
from servers import run
from servers import zope_server
import pytest
import requests


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    home = tmp_path_factory.mktemp("instance")
    port = free_port()
    data = home / "filestorage"
    tool = str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--data", str(data), "--port", str(port))
    first = run(tool, "site", str(home), "--demo")
    return {"home": home, "port": port, "data": data, "first_run": first.stdout}


@pytest.fixture(scope="module")
def site_url(instance):
    with zope_server(instance["home"], instance["port"]) as url:
        yield f"{url}/ccas"


def test_site_command_prints_the_demo_accounts(instance):
    out = instance["first_run"]
    assert "Site 'ccas' created." in out
    for login in ("accueil", "travailleur", "partenaire-caf", "archiviste", "ged"):
        assert login in out
    assert "alice.martin" in out and "bruno.diallo" in out
    assert "password: demo" in out


def test_data_lives_in_an_embedded_filestorage_with_blobs(instance):
    assert (instance["data"] / "Data.fs").is_file()
    assert (instance["data"] / "blobstorage").is_dir()
    assert (instance["data"] / "blobstorage").stat().st_mode & 0o077 == 0
    assert instance["data"].stat().st_mode & 0o077 == 0


def test_requests_losing_a_conflict_are_replayed_ten_times(instance):
    conf = (instance["home"] / "etc" / "zope.conf").read_text()
    assert "\nmax-conflict-retries 10\n" in conf


def test_site_command_is_rerunnable(instance):
    again = run(str(BIN / "ccas-vault-instance"), "site", str(instance["home"]), "--demo")
    assert "Site 'ccas' already there." in again.stdout


def test_login_form_answers(site_url):
    response = requests.get(f"{site_url}/login", timeout=30)
    assert response.status_code == 200
    assert 'name="__ac_password"' in response.text
    assert 'lang="fr"' in response.text


def test_rest_api_knows_a_demo_beneficiary(site_url):
    response = requests.get(
        f"{site_url}/@users/bruno.diallo",
        auth=("bruno.diallo", "demo"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["fullname"] == "Bruno Diallo"
    assert not response.json()["email"]


def test_wrong_password_is_refused(site_url):
    response = requests.get(
        f"{site_url}/@users/bruno.diallo",
        auth=("bruno.diallo", "not-the-password"),
        headers={"Accept": "application/json"},
        timeout=30,
    )
    assert response.status_code == 401


def test_a_person_logs_in_with_chromium(site_url, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(f"{site_url}/login")
            page.fill("input[name='__ac_name']", "alice.martin")
            page.fill("input[name='__ac_password']", "demo")
            page.click("button[name='buttons.login']")
            page.wait_for_load_state()
            page.screenshot(path=str(tmp_path / "logged-in.png"))
            cookies = {cookie["name"] for cookie in page.context.cookies()}
            assert "__ac" in cookies
            assert page.locator("input[name='__ac_password']").count() == 0
        finally:
            browser.close()


def test_a_new_site_logs_no_missing_key_and_a_start_without_key_says_so(tmp_path):
    """``site`` makes the master key during the install: no alarm before it; a server
    started later without any key logs the error (encryption/startup.py)."""
    keys = tmp_path / "keys"
    env = deployer_env(CCAS_VAULT_KEY_DIR=str(keys))
    home, port = tmp_path / "instance", free_port()
    tool = str(BIN / "ccas-vault-instance")
    run(tool, "init", str(home), "--data", str(tmp_path / "data"), "--port", str(port), env=env)
    made = run(tool, "site", str(home), env=env)
    assert "master key" not in made.stdout + made.stderr, made.stderr[-2000:]
    assert (keys / "master-current").is_file()
    (keys / "master-current").unlink()
    log = home / "var" / "log" / "event.log"
    with zope_server(home, port, env=env, inherit=False):
        assert "encryption at rest: no master key" in log.read_text()
