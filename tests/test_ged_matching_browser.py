"""GED letters matched from the browser, on the shipped instance (issue 20, item 3; decision 0046).

On ``real_site`` (``make start``'s demo), in Debian's Chromium, as the GED, the reception
agent (``accueil``, 1280×900) and the person (390×844) would:

a. the GED sends letters for people without a vault (``POST /@ged-letters/batch``, the GED's
   own action); the agent opens a vault with the person and types the GED id: the wizard
   says how many letters wait; the person leaves before agreeing;
b. "Mon accueil" lists the opening waiting for consent, "Continuer" goes back to the consent
   step; the consent is recorded and the letters land in "Courrier du CCAS";
c. in between, the person logging in reads why "Mes papiers" is empty;
d. the parked letters page: 50 a page, search by GED id, "Rattacher à une personne" found by
   name and date of birth (Alice Martin of the demo), the letters delivered into her vault;
   a partner agent has neither the page nor the wizard's GED field.

Screenshots for docs/guide-agent.md land in ``tests/screenshots/`` (``ged-*``).
"""

from journeys import desktop
from journeys import person_login
from journeys import phone
from journeys import staff_login
from journeys import text_of
from public_skin import screenshot
from public_skin import SERIOUS
from public_skin import serious_violations
from test_journeys_rights import ged_letter
import pytest


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

NEWCOMER = {
    "last_name": "Mercier",
    "first_name": "Léa",
    "birth_date": "1991-06-03",
    "login": "lmercier",
    "password": "Cerisier-en-fleur-7",
    "ged_id": "GED-5501",
}
ALICE_GED_ID = "GED-5502"  # a second GED id of the demo's Alice Martin, not known yet


def violations_in(page, context):
    """axe-core's serious or critical violations inside ``context`` (Plone's own frame aside)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    return [item["id"] for item in results.response["violations"] if item.get("impact") in SERIOUS]


def send_letters(site):
    letters = [ged_letter(f"M3-{i:03d}", NEWCOMER["ged_id"], f"Courrier {i}") for i in range(3)]
    letters += [ged_letter(f"M3-A{i}", ALICE_GED_ID, f"Courrier A{i}") for i in range(2)]
    letters += [ged_letter(f"M3-X{i:03d}", f"GED-66{i:02d}", f"Autre {i}") for i in range(60)]
    sent = site.session("ged").post(
        f"{site.url}/@ged-letters/batch", json={"letters": letters}, timeout=600
    )
    assert sent.status_code == 200, sent.text[:500]
    assert sent.json()["statuses"] == {"202": 65}


def test_ged_letters_follow_the_opening_and_are_matched_from_the_browser(real_site, browser):
    site = real_site
    send_letters(site)
    agent = desktop(browser)
    staff_login(agent, site, "accueil")

    # a. The opening wizard: the GED id, the letters that wait.
    agent.goto(f"{site.url}/@@ouvrir-un-coffre")
    for name in ("last_name", "first_name", "birth_date"):
        agent.fill(f"#{name}", NEWCOMER[name])
    agent.click("#search")
    agent.wait_for_selector("#ged_person_ids")
    agent.fill("#ged_person_ids", f"{NEWCOMER['ged_id']}, {NEWCOMER['ged_id'].lower()}")
    agent.click("#next")
    agent.wait_for_load_state()
    assert "écrit deux fois" in text_of(agent, "#error-ged_person_ids")
    agent.fill("#ged_person_ids", "GED-1001")  # Alice Martin's: another vault's
    agent.click("#next")
    agent.wait_for_load_state()
    assert "déjà celui d'un autre coffre" in text_of(agent, "#error-ged_person_ids")
    agent.fill("#ged_person_ids", NEWCOMER["ged_id"])
    screenshot(agent, "ged-wizard-identifiant")
    assert violations_in(agent, "#opening-wizard") == []
    agent.click("#next")
    agent.wait_for_selector("#login")
    assert "Courriers de la GED du CCAS en attente pour cette personne : 3." in text_of(
        agent, "#wizard-notice"
    )
    agent.fill("#login", NEWCOMER["login"])
    agent.fill("#password", NEWCOMER["password"])  # typed by the person
    agent.fill("#password2", NEWCOMER["password"])
    agent.click("#open-vault")
    agent.wait_for_selector("#letters-waiting")
    assert text_of(agent, "#letters-waiting").startswith(
        "Courriers de la GED du CCAS en attente pour cette personne : 3."
    )
    screenshot(agent, "ged-wizard-accord")
    assert violations_in(agent, "#opening-wizard") == []
    vault_id = agent.input_value("input[name=vault]")

    # c. The person has to go; at home, "Mes papiers" says why it is empty.
    person = phone(browser)
    assert person_login(person, site, NEWCOMER["login"], NEWCOMER["password"])
    person.goto(f"{site.url}/mon-coffre/papiers")
    waiting = text_of(person, "#awaiting-consent")
    assert waiting.startswith("Votre coffre attend votre accord.")
    assert "Allez à l'accueil du CCAS" in waiting
    assert person.locator("a.btn-main", has_text="Ajouter un papier").count() == 0
    screenshot(person, "ged-papiers-attente-accord")
    assert serious_violations(person) == []

    # b. Next day: "Mon accueil" lists the opening; "Continuer" goes back to the consent.
    agent.goto(f"{site.url}/@@accueil-agent")
    row = agent.locator(f"#home-openings-table tr[data-vault='{vault_id}']")
    assert "Léa Mercier" in text_of(row)
    assert "Attend l'accord de la personne" in text_of(row)
    assert "Courriers de la GED en attente : 3" in text_of(row)
    assert agent.locator("#home-openings-table", has_text="Paul Nguyen").count() == 1  # the demo's
    agent.locator("#home-openings").scroll_into_view_if_needed()
    screenshot(agent, "ged-accueil-ouvertures")
    assert violations_in(agent, "#home-openings") == []
    row.get_by_role("link", name="Continuer").click()
    agent.wait_for_selector("#consent_password")
    assert "step=consent" in agent.url
    agent.check("#method-electronic")
    agent.fill("#consent_password", NEWCOMER["password"])  # typed by the person
    agent.check("#receive_ccas_letters")
    agent.click("#agree")
    agent.wait_for_load_state()
    assert "step=mandate" in agent.url, text_of(agent)
    assert agent.locator("#skip").count() == 1, text_of(agent)[:2000]
    agent.click("#skip")
    agent.wait_for_load_state()
    assert "step=deposit" in agent.url
    agent.click("#to-done")  # no mandate: the person adds the first paper
    agent.wait_for_selector("#summary")
    assert "courriers du CCAS déposés : 3" in text_of(agent, "#summary-ged")
    agent.goto(f"{site.url}/@@accueil-agent")
    assert agent.locator(f"#home-openings tr[data-vault='{vault_id}']").count() == 0

    person.goto(f"{site.url}/mon-coffre/papiers")
    papers = text_of(person)
    assert "Votre coffre attend votre accord." not in papers
    for number in range(3):
        assert f"Courrier {number}" in papers

    # d. The parked letters page: paged, searched, a GED id matched to Alice Martin.
    agent.goto(f"{site.url}/@@courriers-en-attente")
    assert text_of(agent, "#parked-range") == "Courriers 1 à 50 sur 63"
    assert agent.locator("#parked-letters tbody tr").count() == 50
    agent.click("#parked-next")
    agent.wait_for_load_state()
    assert text_of(agent, "#parked-range") == "Courriers 51 à 63 sur 63"
    agent.fill("#parked-q", ALICE_GED_ID.lower())
    agent.click("#parked-search-button")
    agent.wait_for_load_state()
    assert text_of(agent, "#parked-range") == "Courriers 1 à 2 sur 2"
    screenshot(agent, "ged-courriers-recherche")
    assert violations_in(agent, "#content") == []
    agent.locator("#parked-letters a.match-link").first.click()
    agent.wait_for_selector("#parked-find")
    assert text_of(agent, "#parked-match-count") == (
        "Courriers en attente sous cet identifiant GED : 2"
    )
    agent.fill("#match-last-name", "Martin")
    agent.fill("#match-first-name", "Alice")
    agent.fill("#match-birth-date", "1985-03-12")
    agent.click("#match-find")
    agent.wait_for_selector("#match-found")
    row = agent.locator("#match-found tbody tr")
    assert row.count() == 1 and "Alice Martin" in text_of(row)
    agent.click("#match-found button[name=vault]")  # the box is not ticked
    agent.wait_for_load_state()
    assert "Cochez la case" in text_of(agent, "#parked-error")
    agent.check("#match-checked")
    screenshot(agent, "ged-courriers-rattacher")
    assert violations_in(agent, "#parked-match") == []
    agent.click("#match-found button[name=vault]")
    agent.wait_for_selector("#parked-message")
    assert text_of(agent, "#parked-message") == (
        f"L'identifiant GED {ALICE_GED_ID} est rattaché à Alice Martin. "
        "Courriers déposés dans « Courrier du CCAS » : 2."
    )
    assert text_of(agent, "#parked-range") == "Courriers 1 à 50 sur 61"

    alice = phone(browser)
    assert person_login(alice, site, "alice.martin")
    alice.goto(f"{site.url}/mon-coffre/papiers")
    assert "Courrier A0" in text_of(alice) and "Courrier A1" in text_of(alice)
    alice.goto(f"{site.url}/mon-coffre/historique")
    history = text_of(alice)
    assert "vous a aidé pour votre compte." in history  # the GED id added, by the agent
    assert "« Courrier A0 »" in history and "« Courrier A1 »" in history

    # A partner agent: no page of the CCAS's letters, no GED field in the wizard.
    partner = desktop(browser)
    staff_login(partner, site, "partenaire-caf")
    answer = partner.goto(f"{site.url}/@@courriers-en-attente")
    assert "M3-A0" not in partner.content() and "GED-66" not in partner.content()
    assert answer.status in (200, 401, 403)
    partner.goto(f"{site.url}/@@ouvrir-un-coffre")
    partner.fill("#last_name", "Personne")
    partner.fill("#first_name", "Autre")
    partner.fill("#birth_date", "1990-01-01")
    partner.click("#search")
    partner.wait_for_selector("#email")
    assert partner.locator("#ged_person_ids").count() == 0
