"""The agent's vault page and a mandate given after the opening, in Chromium (issue 20).

On ``real_site`` (the instance ``make start`` builds, with its demo), as the agents
would on a 1280×900 desktop and the person on a 390×844 phone (decision 0045):

* the worker ("travailleur", a mandate on Alice Martin's vault) goes from "Mon accueil"
  to Alice's page: names, not ids; no Plone toolbar; no "Origine" / "État : Active"; the
  watermarked preview opens. The reception agent, without a mandate, is refused.
* the CAF partner ("partenaire-caf", no mandate on Bruno Diallo's vault) finds Bruno by
  names and date of birth (nothing else shown), proposes consult + deposit; Bruno, on his
  phone, unticks "deposit" and signs; the partner signs on "Mon accueil"; the partner's
  page of Bruno's vault shows his shared papers and no deposit action.

Screenshots for docs/guide-agent.md land in ``tests/screenshots/`` (``agent-dossier``,
``agent-proposer-*``, ``signer-mandat-partiel``).
"""

from journeys import desktop
from journeys import person_login
from journeys import phone
from journeys import staff_login
from journeys import text_of
from public_skin import screenshot
import pytest
import re


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

RAW_ID = re.compile(r"\b[cdm]-[0-9a-f]{8,}\b")


def no_plone_chrome(page):
    for selector in ("#edit-bar", "#edit-zone", "#portal-toolbar", ".plone-toolbar-container"):
        assert page.locator(selector).count() == 0, selector
    body = text_of(page, "body")
    assert "Origine" not in body and "État : Active" not in body
    assert not RAW_ID.search(body), RAW_ID.search(body)
    return body


def open_dossier_from_home(page, site, person):
    page.goto(f"{site.url}/@@accueil-agent")
    row = page.locator("#home-accompaniments-table tr", has_text=person)
    row.locator("a.person-link").click()
    page.wait_for_load_state()
    assert page.url.endswith("/@@dossier"), page.url
    return page.url


def test_the_worker_reads_alice_martins_page_and_opens_a_preview(real_site, browser):
    worker = desktop(browser)
    staff_login(worker, real_site, "travailleur")
    url = open_dossier_from_home(worker, real_site, "Alice Martin")
    body = no_plone_chrome(worker)
    assert worker.inner_text("#person-name") == "Alice Martin"
    assert worker.inner_text("#person-birth") == "12/03/1985"
    assert "GED-1001" in worker.inner_text("#person-ged")
    assert "Consulter" in worker.inner_text("#mandate-scopes")
    rows = worker.locator("#papers tr.paper")
    assert rows.count() >= 1, body
    titles = rows.locator(".paper-title").all_inner_texts()
    assert all(title.strip() and not RAW_ID.search(title) for title in titles), titles
    assert worker.locator("#action-deposit").count() == 1  # her mandate: consult, deposit…
    screenshot(worker, "agent-dossier")
    with worker.context.expect_page() as opened:
        rows.first.locator("a.preview-link").click()
    preview = opened.value
    preview.wait_for_load_state()
    assert "@@preview" in preview.url
    image = preview.request.get(preview.url)
    assert image.status == 200 and image.headers["content-type"] == "image/png"

    # The reception agent holds no mandate on Alice's vault: refused, nothing shown.
    reception = desktop(browser)
    staff_login(reception, real_site, "accueil")
    answer = reception.goto(url)
    content = reception.content()
    assert answer.status in (401, 403) or "insufficient-privileges" in reception.url, answer.url
    assert not any(title.strip() in content for title in titles)
    assert 'id="papers"' not in content


def test_a_partner_proposes_bruno_accepts_only_consult_then_the_partner_sees_no_deposit(
    real_site, browser
):
    partner = desktop(browser)
    staff_login(partner, real_site, "partenaire-caf")
    partner.goto(f"{real_site.url}/@@accueil-agent")
    assert partner.locator("#home-accompaniments-table tr", has_text="Bruno Diallo").count() == 0
    partner.click("#home-propose-link")
    partner.fill("#last_name", "Diallo")
    partner.fill("#first_name", "Bruno")
    partner.fill("#birth_date", "1979-11-02")
    partner.click("#search-submit")
    found = text_of(partner, "#matches")
    assert "Bruno Diallo" in found and "02/11/1979" in found
    assert "GED-1002" not in partner.content()  # only names and date of birth
    screenshot(partner, "agent-proposer-recherche")
    partner.get_by_role("button", name="Proposer un mandat à cette personne").click()
    partner.wait_for_load_state()
    assert partner.inner_text("#proposal-person") == "Bruno Diallo"
    for scope in ("consult", "deposit"):
        partner.check(f"#scope-{scope}")
    screenshot(partner, "agent-proposer-mandat")
    partner.click("#proposal-submit")
    partner.wait_for_load_state()
    assert "Bruno Diallo" in text_of(partner, "#proposal-sent")

    # Bruno, on his phone: "Qui a accès", reads the proposal, unticks "deposit", signs.
    person = phone(browser)
    assert person_login(person, real_site, "bruno.diallo")
    person.goto(f"{real_site.url}/mon-coffre/acces")
    card = person.locator("#group-to_sign li.mandate", has_text="Julie Petit")
    card.locator("a[id^=sign-]").click()
    person.wait_for_load_state()
    assert person.is_checked("#scope-consult") and person.is_checked("#scope-deposit")
    person.uncheck("#scope-deposit")
    person.check("#agree")
    screenshot(person, "signer-mandat-partiel")
    person.click("#sign-submit")
    person.wait_for_load_state()
    card = person.locator("li.mandate", has_text="Julie Petit")
    assert "Voir vos papiers partagés" in text_of(card.locator(".scope.allowed"))
    assert "Ajouter des papiers" not in text_of(card.locator(".scope.allowed"))

    # The partner signs on "Mon accueil", then opens Bruno's page: papers, no deposit.
    partner.goto(f"{real_site.url}/@@accueil-agent")
    row = partner.locator("#home-to-sign-table tr", has_text="Bruno Diallo")
    assert "Signé" in text_of(row)
    row.locator("button[name=sign]").click()
    partner.wait_for_load_state()
    assert partner.locator("#home-signed").count() == 1
    open_dossier_from_home(partner, real_site, "Bruno Diallo")
    no_plone_chrome(partner)
    assert partner.locator("#papers tr.paper").count() >= 1
    assert partner.locator("#action-deposit").count() == 0
    assert "Consulter" in partner.inner_text("#mandate-scopes")
    assert "Déposer" not in partner.inner_text("#mandate-scopes")
    screenshot(partner, "agent-dossier-consultation")
