"""DESIGN §6 on the shipped product: four journeys walked in Chromium on a real instance.

The instance is built and served as a deployer does (``real_site``:
``ccas-vault-instance init/site --demo`` then ``runwsgi``, a subprocess; decision
0031), the demo's people and agents click their way through it — the person on
a 390×844 phone, the agents on a 1280×900 desktop — and REST is used only where
the actor really uses it (the GED), or where the product offers nothing else
(said at the step).  Time moves through the documented now-file
(``real_site.set_now``, decision 0032) and the clock that runs inside the server.

* 3. a person signs a mandate for the social worker (consult + deposit); the
  worker sees the shared space and the watermarked preview, not the private
  space nor the original; the mandate ends and the worker is refused at once;
  the clock marks it expired (also on ``make start-zeo``'s shape: ZEO + 2 clients);
* 4. the GED pushes 500 letters: the demo people's are delivered, the unknown
  people's parked; a vault opens later for one of them and receives its letters;
* 5. the records manager sets the validity of "Attestation CAF"; a paper of that
  type gets its end date, the reminder e-mail leaves on time (real SMTP); the
  indicators show the demo's figures;
* 7. a person downloads the export, closes the vault; a week later only the
  anonymous tombstone remains.

Each test prints its wall-clock duration.
"""

from datetime import datetime
from datetime import time as day_time
from datetime import timedelta
from io import BytesIO
from journeys import chromium
from journeys import desktop
from journeys import PARIS
from journeys import PASSWORD
from journeys import person_login
from journeys import phone
from journeys import staff_login
from journeys import text_of
from journeys import today
from journeys import words
import pytest
import re
import time


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

REFUSED = ("insufficient-privileges", "/login", "require_login")
#: Seconds the tests give the in-process clock to act (it runs every few seconds).
CLOCK_WAIT = 90


# --- helpers ----------------------------------------------------------------------------


def skin(page, site, name, login=None):
    """Open ``/mon-coffre/<name>``; log in again first when the session ended (idle timeout)."""
    page.goto(f"{site.url}/mon-coffre/{name}")
    if "/connexion" in page.url and login:
        assert person_login(page, site, login)
        page.goto(f"{site.url}/mon-coffre/{name}")
    assert f"/mon-coffre/{name.split('?')[0]}" in page.url, page.url


def refused(page, response):
    """Whether the page just loaded is a refusal (Plone's page, the login form, 401/403/404)."""
    return (
        response is None
        or response.status in (401, 403, 404)
        or any(part in page.url for part in REFUSED)
    )


def pdf_file(title):
    """A real one-page PDF holding ``title`` (what a scanner gives)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = BytesIO()
    sheet = canvas.Canvas(out, pagesize=A4)
    sheet.setTitle(title)
    sheet.drawString(72, 770, title)
    sheet.showPage()
    sheet.save()
    return out.getvalue()


def add_paper(page, site, document_type, title, space, issued=None):
    """The person adds a PDF paper from the phone (``/mon-coffre/ajouter``); its UID."""
    skin(page, site, "ajouter")
    page.select_option("#document_type", document_type)
    page.fill("#title", title)
    if issued is not None:
        page.fill("#issued", issued.isoformat())
    page.check(f"input[name=space][value={space}]")
    page.set_input_files(
        "#file",
        {"name": "papier.pdf", "mimeType": "application/pdf", "buffer": pdf_file(title)},
    )
    page.click("#add-form button[type=submit]")
    page.wait_for_url(re.compile(r"/mon-coffre/papiers\?ajoute="))
    return page.url.rsplit("ajoute=", 1)[1]


def my_vault_url(site, login, password=PASSWORD):
    """The person's vault URL, as the person's own REST session finds it."""
    session = site.session(login, password)
    found = session.get(f"{site.url}/@search", params={"portal_type": "Vault"})
    assert found.status_code == 200, found.text[:300]
    (item,) = found.json()["items"]
    return item["@id"]


# --- 3. a mandate for the social worker ---------------------------------------------------


def mandate_journey(person_site, worker_site, login, first_name, last_name):
    """Journey 3: ``login`` (phone, on ``person_site``) and ``travailleur`` (desktop, on
    ``worker_site``); both sites serve the same database."""
    site = person_site
    end = today()  # the day after is tomorrow: a jump of one day (no closure falls due)
    shared_title = f"Bulletin de salaire pour {first_name}"
    private_title = f"Lettre privée de {first_name}"
    with chromium() as browser:
        person = phone(browser)
        assert person_login(person, site, login)
        # The person puts one paper in the shared space and one in the private space.
        add_paper(person, site, "bulletin-salaire", shared_title, "partage")
        add_paper(person, site, "avis-imposition", private_title, "prive")

        # Creating a mandate: the skin's "Qui a accès" offers no form, the agents' pages
        # neither (only the opening wizard, for a vault it opens); the REST API lets the
        # person draft and send it (POST @mandates, owner only).
        vault_url = my_vault_url(site, login)
        created = site.session(login).post(
            f"{vault_url}/@mandates",
            json={
                "agents": ["travailleur"],
                "scopes": ["consult", "deposit"],
                "end": end.isoformat(),
                "submit": True,
            },
        )
        assert created.status_code == 201, created.text[:500]
        mandate_id = created.json()["id"]

        # The person reads and signs it on the phone.
        skin(person, site, "acces", login)
        card = text_of(person, f"#mandate-{mandate_id}")
        assert "Samir Haddad" in card
        person.click(f"#sign-{mandate_id}")
        person.wait_for_selector("#sign-form")
        allowed = [
            t.split(":", 1)[1].strip() for t in person.locator(".scope.allowed").all_inner_texts()
        ]
        assert allowed == [
            "Voir vos papiers partagés. Pas les télécharger.",
            "Ajouter des papiers dans votre espace partagé.",
        ]
        person.check("#agree")
        person.click("#sign-submit")
        person.wait_for_selector("p.done")
        assert text_of(person, "p.done") == "Vous avez signé le mandat."
        assert "L'agent doit encore signer" in text_of(person, f"#mandate-{mandate_id}")

        # The worker signs from "Mon accueil".
        worker = desktop(browser)
        worker.context.set_default_timeout(60000)
        staff_login(worker, worker_site, "travailleur")
        worker.goto(f"{worker_site.url}/@@accueil-agent")
        row = worker.locator(f"#home-to-sign [data-mandate='{mandate_id}']")
        assert f"{first_name} {last_name}" in row.inner_text()
        row.locator("button[type=submit]").click()
        worker.wait_for_selector("#home-signed")
        assert f"{first_name} {last_name}" in text_of(worker, "#home-accompaniments-table")

        # It is in force: the person sees it.
        skin(person, site, "acces", login)
        assert "En cours" in text_of(person, f"#mandate-{mandate_id}")

        # The worker: the person's shared space, the paper's watermarked preview.
        row = worker.locator("#home-accompaniments-table tr", has_text=f"{first_name} {last_name}")
        scopes = row.locator("td").nth(1).inner_text()
        assert "Consulter" in scopes and "Déposer" in scopes and "Aider" not in scopes
        row.get_by_role("link", name="Ouvrir la page du coffre").click()
        worker.wait_for_load_state()
        assert worker.url.startswith(f"{worker_site.url}/coffres/")
        assert worker.url.endswith("/@@dossier")  # the agent's page (decision 0045)
        shared_url = worker.url.removesuffix("/@@dossier") + "/partage"
        paper_row = worker.locator("#papers tr.paper", has_text=shared_title)
        preview_href = paper_row.locator("a.preview-link").get_attribute("href")
        paper_url = preview_href.removesuffix("/@@preview")
        assert paper_url.startswith(f"{shared_url}/")
        worker.goto(paper_url)
        with worker.expect_response(lambda r: "@@preview" in r.url) as preview:
            worker.reload()
        assert preview.value.status == 200
        assert preview.value.headers["content-type"] == "image/png"
        worker.wait_for_function("document.querySelector('#paper-preview img').naturalWidth > 0")
        # No link to the original, and typing its address is refused.
        assert worker.locator("a[href*='@@download']").count() == 0
        response = worker.goto(f"{paper_url}/@@download/file")
        assert refused(worker, response), worker.url
        # The private space (its address typed by hand) is refused.
        private_url = shared_url.rsplit("/", 1)[0] + "/prive"
        response = worker.goto(private_url)
        assert refused(worker, response), worker.url
        assert private_title not in worker.content()

        # The mandate's end passes: the day after, the worker is refused at once.
        response = worker.goto(paper_url)
        assert not refused(worker, response)
        try:
            site.set_now(datetime.combine(end + timedelta(days=1), day_time(9, 0)))
            response = worker.goto(paper_url)
            assert refused(worker, response), f"still in: {worker.url}"
            response = worker.goto(f"{paper_url}/@@preview")
            assert refused(worker, response), f"still in: {worker.url}"

            # Within seconds the clock marks it expired; the person sees it ended.
            def expired():
                mandates = site.session(login).get(f"{vault_url}/@mandates").json()["items"]
                return [m["review_state"] for m in mandates if m["id"] == mandate_id] == ["expired"]

            site.wait_for(expired, "the clock expiring the mandate", timeout=CLOCK_WAIT)
            skin(person, site, "acces", login)
            assert f"mandate-{mandate_id}" in person.locator("#group-ended").inner_html()
            assert "Terminé : la date de fin est passée" in text_of(
                person, f"#mandate-{mandate_id}"
            )
            skin(person, site, "historique", login)
            assert "Un mandat est terminé. Sa date de fin est passée." in text_of(person)
            worker.goto(f"{worker_site.url}/@@accueil-agent")
            assert f"{first_name} {last_name}" not in text_of(worker, "#home-accompaniments")
        finally:
            site.real_time()


def test_3_a_person_signs_a_mandate_for_the_social_worker_who_loses_access_when_it_ends(real_site):
    mandate_journey(real_site, real_site, "mbenali", "Mohamed", "Benali")


# --- 4. the GED pushes 500 letters --------------------------------------------------------

GED_BATCH = 500
NEWCOMER = {
    "ged_id": "GED-7701",
    "first_name": "Lina",
    "last_name": "Perrin",
    "birth_date": "1991-04-02",
    "login": "lperrin",
    "password": "Lina-Perrin-2026",
}


def ged_letter(reference, ged_id, title):
    import base64

    return {
        "ged_reference": reference,
        "person": {"ged_person_id": ged_id},
        "document_type": "attestation-domiciliation",
        "title": title,
        "issued": today().isoformat(),
        "file": {
            "filename": f"{reference}.pdf",
            "content_type": "application/pdf",
            "data": base64.b64encode(pdf_file(f"{title} ({reference})")).decode("ascii"),
        },
    }


def ccas_mail_count(site, login, password=PASSWORD):
    """How many papers the person's "Courrier du CCAS" folder holds (the person's REST view)."""
    vault_url = my_vault_url(site, login, password)
    folder = site.session(login, password).get(f"{vault_url}/partage/courrier-du-ccas")
    assert folder.status_code == 200, folder.text[:300]
    return folder.json()["items_total"]


def sealed_letters(site, login):
    """How many of this journey's letters got the CCAS's PAdES seal (the person's history)."""
    history = site.session(login).get(f"{my_vault_url(site, login)}/@vault-history").json()
    return sum(
        1
        for entry in history["items"]
        if entry["action"] == "pdf_signed"
        and re.fullmatch(r"Courrier \d+ du CCAS", entry["target_title"])
    )


def test_4_the_ged_pushes_500_letters_and_a_vault_opened_later_receives_its_own(real_site, capsys):
    site = real_site
    people = ["GED-1001"] * 240 + ["GED-1002"] * 240  # Alice Martin, Bruno Diallo
    people += ["GED-7701"] * 8 + ["GED-7702"] * 6 + ["GED-7703"] * 6  # no vault (yet)
    letters = [
        ged_letter(f"J4-{index:04d}", ged_id, f"Courrier {index} du CCAS")
        for index, ged_id in enumerate(people)
    ]
    assert len(letters) == GED_BATCH
    before = {login: ccas_mail_count(site, login) for login in ("alice.martin", "bruno.diallo")}

    # The GED sends them in one batch (its largest allowed).
    ged = site.session("ged")
    sent = ged.post(f"{site.url}/@ged-letters/batch", json={"letters": letters}, timeout=600)
    assert sent.status_code == 200, sent.text[:500]
    statuses = [result["status"] for result in sent.json()["results"]]
    assert statuses == [201] * 480 + [202] * 20
    assert sent.json()["statuses"] == {"201": 480, "202": 20}

    with chromium() as browser:
        # An agent sees the parked letters (never their title nor content).
        agent = desktop(browser)
        staff_login(agent, site, "accueil")
        agent.goto(f"{site.url}/@@accueil-agent")
        assert text_of(agent, "#home-letters-count") == "Courriers qui attendent un coffre : 21"
        agent.click("#home-letters-link")
        agent.wait_for_selector("#parked-letters")
        table = text_of(agent, "#parked-letters")
        for index in range(480, 500):
            assert f"J4-{index:04d}" in table
        rows = agent.locator("#parked-letters tbody tr", has_text="GED GED-7701")
        assert rows.count() == 8
        assert "Aucun coffre-fort pour cette personne" in rows.first.inner_text()
        assert "Courrier 480 du CCAS" not in agent.content()

        # In the background the clock seals every delivered letter (PAdES, decision 0014);
        # the persons' histories say so.  The vault of GED-7701 opens later.
        started = time.monotonic()
        site.wait_for(
            lambda: all(sealed_letters(site, login) == 240 for login in before),
            "the PAdES seal of the 480 delivered letters",
            timeout=900,
        )
        with capsys.disabled():
            sealing = time.monotonic() - started
            print(f"\n[journey timing] 480 letters sealed by the clock in {sealing:.0f} s")

        # The person of GED-7701 comes to the CCAS; a vault is opened with that GED id.
        # The opening wizard has no field for a GED person id: the vault is opened through
        # the REST API (POST @vaults, what the wizard's step 3 calls), by the same agent,
        # then the wizard goes on in the browser with the person (consent).
        opened = site.session("accueil").post(
            f"{site.url}/coffres/@vaults",
            json={
                "first_name": NEWCOMER["first_name"],
                "last_name": NEWCOMER["last_name"],
                "birth_date": NEWCOMER["birth_date"],
                "login": NEWCOMER["login"],
                "password": NEWCOMER["password"],
                "ged_person_ids": [NEWCOMER["ged_id"]],
                "receive_ccas_letters": True,
            },
        )
        assert opened.status_code == 201, opened.text[:500]
        vault_id = opened.json()["id"]
        agent.goto(f"{site.url}/@@ouvrir-un-coffre?vault={vault_id}&step=consent")
        agent.wait_for_selector("input[name=method][value=electronic]")
        agent.check("#method-electronic")
        agent.check("#receive_ccas_letters")
        agent.fill("#consent_password", NEWCOMER["password"])  # typed by the person
        agent.click("#agree")
        agent.wait_for_load_state()
        assert "step=mandate" in agent.url, text_of(agent)
        agent.goto(f"{site.url}/@@courriers-en-attente")
        table = text_of(agent, "main")
        assert "GED GED-7701" not in table  # delivered at the consent
        assert "GED GED-7702" in table and "GED GED-7703" in table

        # The person sees the letters on the phone, in "Courrier du CCAS".
        person = phone(browser)
        assert person_login(person, site, NEWCOMER["login"], NEWCOMER["password"])
        skin(person, site, "papiers")
        papers = text_of(person)
        for index, ged_id in enumerate(people):
            if ged_id == "GED-7701":
                assert f"Courrier {index} du CCAS" in papers

    # Integrity, as the GED sees it: each letter delivered once or parked, none doubled.
    receipts = {}
    for letter in letters:
        answer = ged.get(f"{site.url}/@ged-letters/{letter['ged_reference']}")
        assert answer.status_code == 200, answer.text[:300]
        receipts[letter["ged_reference"]] = answer.json()["status"]
    expected = {
        letter["ged_reference"]: "parked"
        if letter["person"]["ged_person_id"] in ("GED-7702", "GED-7703")
        else "delivered"
        for letter in letters
    }
    assert receipts == expected
    assert ccas_mail_count(site, "alice.martin") == before["alice.martin"] + 240
    assert ccas_mail_count(site, "bruno.diallo") == before["bruno.diallo"] + 240
    assert ccas_mail_count(site, NEWCOMER["login"], NEWCOMER["password"]) == 8


# --- 5. the records manager, the reminders and the indicators --------------------------------

CAF_LABEL = "Attestation CAF"  # profiles/default/registry/document_types.xml: attestation-caf
REMINDER_DAYS = 20  # the records manager's choice (the registry ships 15)


def months_later(day, months):
    import calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def indicator_cells(page):
    """``{indicator id: {month: text}}`` of the indicators table on the page."""
    return page.evaluate(
        """() => {
            const months = [...document.querySelectorAll('#indicators-table thead th[data-month]')]
                .map((th) => th.dataset.month);
            const found = {};
            for (const row of document.querySelectorAll('#indicators-table tr[data-indicator]')) {
                const cells = [...row.querySelectorAll('td')].map(
                    (td) => (td.querySelector('span, abbr') || td).textContent.trim());
                found[row.dataset.indicator] = Object.fromEntries(
                    months.map((month, index) => [month, cells[index]]));
            }
            return found;
        }"""
    )


def shown(value):
    """A hand-counted value as the indicators page writes it."""
    if value is None:
        return "*"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def test_5_the_records_manager_sets_the_caf_certificate_validity_reminders_follow(real_site, smtp):
    from test_indicators import HAND
    from test_indicators import months as demo_months

    site = real_site
    inbox, smtp_port = smtp
    with chromium() as browser:
        # The records manager: the indicators of the experiment, as the demo made them.
        manager = desktop(browser)
        staff_login(manager, site, "archiviste")
        manager.click("a[href$='/@@ccas-indicateurs']:visible >> nth=0")
        manager.wait_for_selector("#indicators-table")
        cells = indicator_cells(manager)
        labels = demo_months()
        past = labels[:-1]  # what happened in the months before this one cannot change
        for indicator in (
            "vaults_opened",
            "vaults_activated",
            "documents_per_vault_mean",
            "documents_per_vault_median",
            "mandates_signed",
            "mandates_active",
            "closures_requested",
            "vaults_closed",
        ):
            expected = dict(zip(labels, HAND[indicator][""], strict=True))
            assert {m: cells[indicator][m] for m in past} == {
                m: shown(expected[m]) for m in past
            }, indicator
        # This month: one reset through the personal questions, one printed code (the demo's).
        assert cells["password_resets_questions"][labels[-1]] == "1"
        assert cells["password_resets_code_print"][labels[-1]] == "1"
        assert cells["password_resets_email"][labels[-1]] == "0"
        assert cells["vaults_held"][labels[-2]] == "10"  # Alice … Karim, at the end of last month

        # The document types: "Attestation CAF" valid 3 months, reminded 20 days before.
        manager.goto(f"{site.url}/@@overview-controlpanel")
        manager.click("a[href$='/@@ccas-document-types']:visible >> nth=0")
        row = manager.locator("#document-types tr", has_text=CAF_LABEL)
        assert row.count() == 1
        row.locator("a[href*='ccas-document-types-edit']").click()
        manager.wait_for_selector("#form-widgets-validity_months")
        manager.fill("#form-widgets-validity_months", "3")
        manager.fill("#form-widgets-reminder_days", str(REMINDER_DAYS))
        manager.click("#form-buttons-save")
        manager.wait_for_selector("#document-types")
        row = manager.locator("#document-types tr", has_text=CAF_LABEL)
        assert "3 mois" in row.inner_text()
        assert row.locator("td").nth(4).inner_text().strip() == str(REMINDER_DAYS)

        # The administrator points the site's mail to the CCAS's SMTP server.
        admin = desktop(browser)
        staff_login(admin, site, "admin", "admin")
        admin.goto(f"{site.url}/@@mail-controlpanel")
        admin.fill("#form-widgets-smtp_host", "127.0.0.1")
        admin.fill("#form-widgets-smtp_port", str(smtp_port))
        admin.fill("#form-widgets-email_from_name", "CCAS de Démoville")
        admin.fill("#form-widgets-email_from_address", "coffre@ccas-demoville.example")
        admin.click("#form-buttons-save")
        admin.wait_for_load_state()
        assert admin.input_value("#form-widgets-smtp_port") == str(smtp_port)

        # Alice, on her phone: news by e-mail, then a new CAF certificate issued today.
        person = phone(browser)
        assert person_login(person, site, "alice.martin")
        skin(person, site, "compte")
        person.check("#channel-email")
        person.locator("form", has=person.locator("#channel-email")).locator(
            "button[type=submit]"
        ).first.click()
        person.wait_for_load_state()
        issued = today()
        valid_until = months_later(issued, 3)
        add_paper(person, site, "attestation-caf", "Attestation CAF de décembre", "prive", issued)
        card = text_of(person, "li.card[aria-current=true]")
        assert f"{valid_until:%d/%m/%Y}" in card, card

        # 19 days before the end (within the 20 days, not the 15 the registry shipped): the
        # clock sends the reminder.
        try:
            site.set_now(datetime.combine(valid_until - timedelta(days=19), day_time(9, 0)))

            def reminded():
                return any(
                    "alice.martin@example.org" in to
                    and f"{valid_until:%d/%m/%Y}" in message.get_content()
                    for to, message in inbox.messages
                )

            site.wait_for(reminded, "the expiry reminder e-mail", timeout=CLOCK_WAIT)
        finally:
            site.real_time()
    message = next(
        message
        for to, message in inbox.messages
        if "alice.martin@example.org" in to and f"{valid_until:%d/%m/%Y}" in message.get_content()
    )
    assert message["Subject"] == "Un papier ne sera bientôt plus valable"
    assert message["From"] == "CCAS de Démoville <coffre@ccas-demoville.example>"
    body = message.get_content()
    assert (
        f"Votre papier « {CAF_LABEL} » ne sera plus valable le {valid_until:%d/%m/%Y}." in body
    ), body
    assert "décembre" not in body  # the type and the date, never the title the person typed


# --- 7. closure ------------------------------------------------------------------------------

LEAVER = {"login": "sroux", "first_name": "Sophie", "last_name": "Roux", "born": "1995-09-14"}
WRONG_LOGIN = (
    "L'identifiant ou le mot de passe n'est pas bon. Vérifiez-les et essayez encore. "
    "Attention aux majuscules."
)


def search_at_the_desk(page, site):
    """The reception's first wizard step: does this person already have a safe?"""
    page.goto(f"{site.url}/@@ouvrir-un-coffre")
    page.fill("#last_name", LEAVER["last_name"])
    page.fill("#first_name", LEAVER["first_name"])
    page.fill("#birth_date", LEAVER["born"])
    page.click("#search")
    page.wait_for_load_state()
    return text_of(page)


def closed_vaults(page, site, first, last):
    """The indicator "vaults closed", summed over the months ``first`` … ``last``."""
    page.goto(f"{site.url}/@@ccas-indicateurs")
    page.fill("#indicators-from", first)
    page.fill("#indicators-to", last)
    page.click("#indicators-filters button[type=submit]")
    page.wait_for_selector("#indicators-table")
    return sum(int(value) for value in indicator_cells(page)["vaults_closed"].values())


def test_7_a_person_closes_the_vault_after_the_export_a_week_later_only_a_tombstone_remains(
    real_site, tmp_path
):
    import requests
    import zipfile

    site = real_site
    vault_url = my_vault_url(site, LEAVER["login"])
    first_month = months_later(today().replace(day=1), -5).strftime("%Y-%m")
    # A tombstone is dated by the clock that deleted the vault: up to 4 months ahead when
    # journey 5 (run before in this module) moved it there.
    last_month = months_later(today().replace(day=1), 4).strftime("%Y-%m")
    with chromium() as browser:
        manager = desktop(browser)
        staff_login(manager, site, "archiviste")
        closed_before = closed_vaults(manager, site, first_month, last_month)
        reception = desktop(browser)
        staff_login(reception, site, "accueil")
        search_at_the_desk(reception, site)
        assert "Roux" in text_of(reception, "#matches")  # today, her safe is found

        # The person, on the phone: the export first (a real zip with the papers), then close.
        person = phone(browser)
        assert person_login(person, site, LEAVER["login"])
        skin(person, site, "fermer")
        with person.expect_download() as download:
            person.click("#download-export")
        export = tmp_path / "export.zip"
        download.value.save_as(export)
        with zipfile.ZipFile(export) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            papers = [name for name in names if name.startswith("papiers/")]
            assert len(papers) == 2, names  # her diploma and her France Travail certificate
            assert all(archive.read(name).startswith(b"%PDF") for name in papers)
            assert "index.html" in names and "historique.json" in names
        skin(person, site, "fermer")
        assert "Vous avez téléchargé vos papiers le" in text_of(person)
        person.check("#confirm")
        person.click("#close-submit")
        person.wait_for_selector("#closing-notice")
        due = today() + timedelta(days=7)
        assert text_of(person, "#closing-notice") == f"Votre coffre sera effacé le {words(due)}."

        # A week (and a day) later the clock deletes it.
        try:
            site.set_now(datetime.now(PARIS).replace(tzinfo=None) + timedelta(days=8))
            site.wait_for(
                lambda: requests.get(vault_url, timeout=30).status_code == 404,
                "the clock deleting the closed vault",
                timeout=CLOCK_WAIT,
            )
            # The person can no longer log in: a plain French sentence.
            person.context.clear_cookies()
            person.goto(f"{site.url}/mon-coffre/connexion")
            person.fill("#login", LEAVER["login"])
            person.fill("#password", PASSWORD)
            person.click("#login-form button[type=submit]")
            person.wait_for_selector("#password-error")
            assert text_of(person, "#password-error") == WRONG_LOGIN
            # The vault's address answers 404 to everyone.
            for auth in (
                None,
                ("admin", "admin"),
                ("travailleur", PASSWORD),
                ("accueil", PASSWORD),
            ):
                answer = requests.get(vault_url, auth=auth, timeout=30)
                assert answer.status_code == 404, (auth, answer.status_code)
            # Nothing with her name: the reception's search finds nobody, nor the catalog.
            assert "Aucun coffre trouvé pour cette personne." in search_at_the_desk(reception, site)
            assert reception.locator("#matches").count() == 0
            admin = site.session("admin", "admin")
            for word in (LEAVER["last_name"], LEAVER["first_name"], LEAVER["login"]):
                found = admin.get(f"{site.url}/@search", params={"SearchableText": word})
                assert found.status_code == 200 and found.json()["items_total"] == 0, word
            # Only the anonymous tombstone: one more closure in the indicators (the demo's
            # Rose Blanc, Lucie Fontaine's closure asked at the demo's start, and this one).
            closed_after = closed_vaults(manager, site, first_month, last_month)
            assert closed_after == 3
            assert closed_after > closed_before
        finally:
            site.real_time()


# --- 3 again, on make start-zeo's shape -------------------------------------------------------


def test_3_on_zeo_the_person_on_client_1_the_worker_on_client_2(real_zeo_sites):
    """Journey 3 on a ZEO server and two Zope clients: the person uses the first client
    (which runs the clock), the worker the second; both read the same now-file."""
    client1, client2 = real_zeo_sites
    mandate_journey(client1, client2, "mbenali", "Mohamed", "Benali")
