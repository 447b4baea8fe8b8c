"""Issue 23 on the shipped product: API Particulier's family quotient, in Chromium, for real.

The instance is built and served as a deployer does (``real_site``: ``ccas-vault-instance
init/site --demo``, ``runwsgi`` in a subprocess; decision 0031).  API Particulier is the local
server of ``tests/api_particulier_server.py`` on loopback (its published description, never
the real API).  The demo's records manager switches the connector on in ``@@ccas-connecteurs``;
Bruno Diallo (a mandate with the deposit scope for the social worker) agrees on his phone from
« Ajouter un papier »; the worker fetches the family quotient on the person's page; the paper is
in Bruno's « Mes papiers », certified, its source named.  Each API error gives its message and
stores nothing.  The clock (moved by the now-file, decision 0032) refreshes the paper a month
later; once Bruno withdraws his agreement in « Qui a accès », it asks nothing any more.
"""

from api_particulier_server import FakeApiParticulier
from api_particulier_server import SIRET
from api_particulier_server import TOKEN
from datetime import datetime
from datetime import timedelta
from journeys import desktop
from journeys import person_login
from journeys import phone
from journeys import staff_login
from journeys import text_of
from journeys import today
import pytest
import re
import time


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

PERSON = "bruno.diallo"
NAME = "api-particulier-qf"
TITLE = "Attestation de quotient familial (source : CAF, via API Particulier, le "
CLOCK_WAIT = 90


@pytest.fixture
def fake_api():
    server = FakeApiParticulier().start()
    yield server
    server.stop()


def vault_url(site, login):
    found = site.session(login).get(f"{site.url}/@search", params={"portal_type": "Vault"})
    assert found.status_code == 200, found.text[:300]
    (item,) = found.json()["items"]
    return item["@id"]


def skin(page, site, name):
    """Open ``/mon-coffre/<name>``, logging in again when the session ended (the clock moved
    past the idle timeout)."""
    page.goto(f"{site.url}/mon-coffre/{name}")
    if "/connexion" in page.url:
        assert person_login(page, site, PERSON)
        page.goto(f"{site.url}/mon-coffre/{name}")
    assert f"/mon-coffre/{name}" in page.url, page.url


def count_papers(page, site):
    skin(page, site, "papiers")
    return text_of(page).count("Attestation de quotient familial")


def test_family_quotient_fetched_with_consent_errors_store_nothing_refresh_stops(
    real_site, browser, fake_api
):
    site = real_site
    # The records manager switches the connector on and gives its settings.
    manager = desktop(browser)
    staff_login(manager, site, "archiviste")
    manager.goto(f"{site.url}/@@ccas-connecteurs")
    panel = f"#panel-{NAME}"
    manager.check(f"#enabled-{NAME}")
    manager.fill(f"#setting-{NAME}-base_url", fake_api.url)
    manager.fill(f"#setting-{NAME}-token", TOKEN)
    manager.fill(f"#setting-{NAME}-recipient", SIRET)
    manager.click(f"#save-{NAME}")
    manager.wait_for_selector("#connectors-saved")
    assert TOKEN not in manager.content()
    assert manager.locator(f"#enabled-{NAME}").is_checked()
    assert "API Particulier" in text_of(manager, panel)

    # The person agrees on the phone, from « Ajouter un papier ».
    person = phone(browser)
    assert person_login(person, site, PERSON)
    person.goto(f"{site.url}/mon-coffre/ajouter")
    person.click("#connectors-link a")
    person.wait_for_url(re.compile(r"/mon-coffre/connecteurs"))
    notice = text_of(person, f"#connector-{NAME}")
    assert "la CAF ou la MSA, par l'API Particulier" in notice and "quotient familial" in notice
    person.fill("#person_sexe", "M")
    person.fill("#person_code_commune_naissance", "59350")
    assert person.locator("#scheduled").is_checked()
    person.click(f"#agree-{NAME}")
    person.wait_for_selector("p.done")
    assert "Vous avez donné votre accord" in text_of(person, f"#connector-{NAME}")

    # The social worker fetches it on the person's page.
    worker = desktop(browser)
    staff_login(worker, site, "travailleur")
    dossier = f"{vault_url(site, PERSON)}/@@dossier"
    worker.goto(dossier)
    worker.click("#action-connectors")
    worker.wait_for_selector(f"#fetch-{NAME}")
    assert "La personne a donné son accord" in text_of(worker, f"#connector-{NAME}")
    worker.click(f"#fetch-{NAME}")
    worker.wait_for_selector("#connector-done")
    asked = fake_api.requests[-1]
    assert asked["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert asked["query"]["nomNaissance"] == ["DIALLO"]

    # The paper is in « Mes papiers », certified, its source named.
    person.goto(f"{site.url}/mon-coffre/papiers")
    row = person.locator("li", has_text=TITLE).first
    assert "certifié CCAS" in row.inner_text()
    row.locator("a").first.click()
    person.wait_for_load_state()
    details = text_of(person)
    assert TITLE in details and "Attestation CAF" in details

    # Each error of the API: its message for the agent, nothing stored.
    cases = [
        ("INCONNU", "ne trouvent pas de dossier allocataire"),
        ("NONHABILITE", "L'habilitation API Particulier du CCAS"),
        ("PRESSE", "trop de demandes du CCAS. Réessayez dans 60 minutes"),
        ("PANNE", "ne répond pas en ce moment"),
        ("DELAI", "ne répond pas en ce moment"),
    ]
    for force, message in cases:
        fake_api.force = force
        worker.goto(f"{dossier.removesuffix('/@@dossier')}/@@connecteurs")
        worker.click(f"#fetch-{NAME}")
        worker.wait_for_selector("#connector-error")
        shown = text_of(worker, "#connector-error")
        assert message in shown and "Rien n'a été enregistré" in shown, (force, shown)
    fake_api.force = ""
    fake_api.token = "un-autre-jeton"  # the CCAS's token expired at the API
    worker.goto(f"{dossier.removesuffix('/@@dossier')}/@@connecteurs")
    worker.click(f"#fetch-{NAME}")
    worker.wait_for_selector("#connector-error")
    assert "jeton API Particulier du CCAS n'est pas valide" in text_of(worker, "#connector-error")
    fake_api.token = TOKEN
    assert count_papers(person, site) == 1  # nothing stored by the failures

    # A month later the clock refreshes the quotient (before the paper's end).
    before = len(fake_api.requests)
    site.set_now(datetime.combine(today() + timedelta(days=32), datetime.min.time()))
    site.wait_for(lambda: len(fake_api.requests) > before, "the monthly refresh", CLOCK_WAIT)
    asked = len(fake_api.requests)

    # The person withdraws the agreement in « Qui a accès »: the refresh stops.
    skin(person, site, "acces")
    person.click(f"#revoke-{NAME}")
    person.wait_for_selector("p.done")
    assert person.locator(f"#revoke-{NAME}").count() == 0
    site.set_now(datetime.combine(today() + timedelta(days=40), datetime.min.time()))
    time.sleep(12)  # several ticks of the clock (every 2 s), the date changed: nothing asked
    assert len(fake_api.requests) == asked
    skin(person, site, "historique")
    history = text_of(person)
    assert "Vous avez retiré votre accord" in history
    site.real_time()
