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
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from zoneinfo import ZoneInfo
import contextlib
import pytest
import re
import time


pytestmark = pytest.mark.slow

PARIS = ZoneInfo("Europe/Paris")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "demo"
REFUSED = ("insufficient-privileges", "/login", "require_login")
#: Seconds the tests give the in-process clock to act (it runs every few seconds).
CLOCK_WAIT = 90


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def stopwatch(request, capsys):
    """Print the test's wall-clock duration (the lead reports the journeys' timings)."""
    start = time.monotonic()
    yield
    with capsys.disabled():
        print(f"\n[journey timing] {request.node.name}: {time.monotonic() - start:.1f} s")


def today():
    return datetime.now(PARIS).date()


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, viewport, **options):
    context = browser.new_context(viewport=viewport, locale="fr-FR", **options)
    page = context.new_page()
    page.set_default_timeout(60000)
    return page


def phone(browser):
    """The person's phone: a 390×844 touch screen."""
    return new_page(browser, PHONE, has_touch=True, is_mobile=True)


def desktop(browser):
    """An agent's desktop: 1280×900."""
    return new_page(browser, DESKTOP)


def person_login(page, site, login, password=PASSWORD):
    """The person logs in through ``/mon-coffre/connexion``."""
    page.goto(f"{site.url}/mon-coffre/connexion")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    assert "/connexion" not in page.url, page.inner_text("main")[:500]


def skin(page, site, name, login=None):
    """Open ``/mon-coffre/<name>``; log in again first when the session ended (idle timeout)."""
    page.goto(f"{site.url}/mon-coffre/{name}")
    if "/connexion" in page.url and login:
        person_login(page, site, login)
        page.goto(f"{site.url}/mon-coffre/{name}")
    assert f"/mon-coffre/{name.split('?')[0]}" in page.url, page.url


def staff_login(page, site, login, password=PASSWORD):
    """An agent logs in through Plone's login form (``/ccas/login``)."""
    page.goto(f"{site.url}/login")
    page.fill("#__ac_name", login)
    page.fill("#__ac_password", password)
    page.click("#buttons-login")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("body")[:500]


def refused(page, response):
    """Whether the page just loaded is a refusal (Plone's page, the login form, 401/403/404)."""
    return (
        response is None
        or response.status in (401, 403, 404)
        or any(part in page.url for part in REFUSED)
    )


def text_of(page, selector="main"):
    return " ".join(page.inner_text(selector).replace("\xa0", " ").split())


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


def my_vault_url(site, login):
    """The person's vault URL, as the person's own REST session finds it."""
    found = site.session(login).get(f"{site.url}/@search", params={"portal_type": "Vault"})
    assert found.status_code == 200, found.text[:300]
    (item,) = found.json()["items"]
    return item["@id"]


# --- 3. a mandate for the social worker ---------------------------------------------------


def mandate_journey(person_site, worker_site, login, first_name, last_name):
    """Journey 3: ``login`` (phone, on ``person_site``) and ``travailleur`` (desktop, on
    ``worker_site``); both sites serve the same database."""
    site = person_site
    end = today() + timedelta(days=7)
    shared_title = f"Bulletin de salaire pour {first_name}"
    private_title = f"Lettre privée de {first_name}"
    with chromium() as browser:
        person = phone(browser)
        person_login(person, site, login)
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
        row.get_by_role("link", name="Ouvrir l'espace partagé").click()
        worker.wait_for_load_state()
        shared_url = worker.url
        assert shared_url.startswith(f"{worker_site.url}/coffres/") and shared_url.endswith(
            "/partage"
        )
        papers = worker.locator("main a[href*='/partage/d-']:visible")
        links = [papers.nth(index).get_attribute("href") for index in range(papers.count())]
        paper_url = None
        for link in links:  # the listing shows ids: the worker opens them in turn
            worker.goto(link)
            if shared_title in text_of(worker, "main"):
                paper_url = worker.url
                break
        assert paper_url, f"{shared_title!r} not found in {links}"
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


def test_3_a_person_signs_a_mandate_for_the_social_worker_who_loses_access_when_it_ends(
    real_site, stopwatch
):
    mandate_journey(real_site, real_site, "mbenali", "Mohamed", "Benali")
