"""DESIGN §6 on the shipped product: three journeys at the CCAS counter, clicked in Chromium.

The instance is the one a deployer starts (``real_site``: ``ccas-vault-instance init``
and ``site --demo``, then ``runwsgi`` in a subprocess — the generated ``site.zcml``, the
C security implementation, issue 17). Nothing goes through the test process: the
agents log in through Plone's login form on a desktop screen (1280×900), the person
through ``/mon-coffre/connexion`` on a phone (390×844), and every step is a page they
see and a button they press. REST is used only afterwards, as the owner, to check what
the pages did (the paper's SHA-256).

1. The reception agent opens a vault for a person with no e-mail: consent on paper
   (the scanned form), login and password chosen by the person, the welcome sheet,
   the identity card photo; the person then finds it on their phone.
2. The person on a phone: two photos of a payslip become one PDF, with its expiry
   badge; printed; shared with the CAF for 7 days with a code; the CAF opens it; the
   person sees the opening, stops the link, and the link refuses.
3. The password forgotten: the worker with the account-help scope makes a printed
   code from "Mon accueil"; the person chooses a new password on the phone; the agent
   never sees it, the old one stops working.

Each test prints its wall-clock duration (``[journey timing] <name>: <seconds> s``), for the
closing note of issue 17.
"""

from datetime import timedelta
from io import BytesIO
from journeys import desktop
from journeys import PASSWORD
from journeys import person_login
from journeys import phone
from journeys import staff_login
from journeys import text_of
from journeys import today
from journeys import words
from urllib.parse import parse_qs
from urllib.parse import urlsplit
import hashlib
import pytest
import re


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]


# --- helpers ------------------------------------------------------------------------------


def to_agent_home(page):
    """ "Mon accueil" from the site's menu, as an agent reaches it after logging in."""
    page.get_by_role("link", name="Mon accueil").first.click()
    page.wait_for_load_state()
    assert page.inner_text("h1.documentFirstHeading") == "Mon accueil", page.url


def jpeg(lines, size, background="white"):
    """A real photo-like JPEG (Pillow): a coloured card with words written on it."""
    from PIL import Image
    from PIL import ImageDraw

    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline="navy", width=6)
    for number, line in enumerate(lines):
        draw.text((40, 40 + 40 * number), line, fill="black")
    out = BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def scanned_pdf(lines):
    """A real one-page PDF, as a scanner makes it: an A4 image (Pillow)."""
    from PIL import Image
    from PIL import ImageDraw

    page = Image.new("RGB", (827, 1169), "white")
    draw = ImageDraw.Draw(page)
    for number, line in enumerate(lines):
        draw.text((80, 100 + 40 * number), line, fill="black")
    out = BytesIO()
    page.save(out, format="PDF", resolution=100)
    return out.getvalue()


def pdf_pages(data):
    from pypdf import PdfReader

    assert data.startswith(b"%PDF"), data[:40]
    return PdfReader(BytesIO(data)).pages


def pdf_text(data):
    return " ".join(" ".join(page.extract_text() for page in pdf_pages(data)).split())


def shown_pdf(page, click):
    """The PDF that ``click()`` opens, as the browser received it.

    Chromium shows a PDF in its built-in viewer (the page's own response is the
    viewer's HTML); the viewer's copy of the bytes is the response it reads them from.
    """
    pdf = "application/pdf"
    with page.context.expect_event(
        "response",
        predicate=lambda r: (
            r.url.startswith("chrome-extension://") and r.headers.get("content-type") == pdf
        ),
    ) as shown:
        click()
    return shown.value.body()


def download(page, click, path):
    """Save what ``click()`` downloads to ``path``; its bytes."""
    with page.expect_download() as event:
        click()
    event.value.save_as(path)
    return path.read_bytes()


def history_actions(page, site):
    """The person's history page, oldest first: ``[(action, sentence)]``."""
    page.goto(f"{site.url}/mon-coffre/historique")
    rows = page.locator("#history > li")
    found = [
        (rows.nth(i).get_attribute("data-action"), text_of(rows.nth(i), ".what"))
        for i in range(rows.count())
    ]
    return list(reversed(found))


def in_order(actions, expected):
    """``expected`` appears in ``actions`` in this order (other actions between are fine)."""
    it = iter(actions)
    return all(any(action == wanted for action in it) for wanted in expected)


def paper_as_owner(site, login, password, paper_url):
    """The paper's metadata answered by REST to its owner (``GET /…/{paper}``)."""
    answer = site.session(login, password).get(paper_url, timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()


# --- 1. the reception agent opens a vault for a person with no e-mail --------------------

NEW_LAST, NEW_FIRST, NEW_BIRTH = "Koné", "Fatou", "1991-04-17"
NEW_LOGIN = "fatou.kone"
NEW_PASSWORD = "Baobab-du-marche-42"


def test_reception_agent_opens_a_vault_for_a_person_without_email(real_site, browser, tmp_path):
    site = real_site
    consent_scan = tmp_path / "accord-signe.pdf"
    consent_scan.write_bytes(
        scanned_pdf(["Accord pour un coffre-fort numerique", "Fatou Kone", "Signe le ..."])
    )
    id_card = tmp_path / "carte-identite.jpg"
    id_card.write_bytes(
        jpeg(["REPUBLIQUE FRANCAISE", "CARTE NATIONALE D'IDENTITE", "KONE Fatou"], (856, 540))
    )

    agent = desktop(browser)
    staff_login(agent, site, "accueil")
    to_agent_home(agent)
    agent.click("#home-open-link")
    agent.wait_for_load_state()
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "search"

    # 1. search: no vault yet
    agent.fill("#last_name", NEW_LAST)
    agent.fill("#first_name", NEW_FIRST)
    agent.fill("#birth_date", NEW_BIRTH)
    agent.click("#search")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "identity"
    assert "Aucun coffre" in text_of(agent, "#wizard-notice")

    # 2. no e-mail, no phone: no message
    assert agent.input_value("#email") == ""
    agent.get_by_label("Aucun message").check()
    agent.click("#next")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "account"

    # 3. the person chooses the login and types the password (twice)
    agent.fill("#login", NEW_LOGIN)
    agent.fill("#password", NEW_PASSWORD)
    agent.fill("#password2", NEW_PASSWORD)
    agent.click("#open-vault")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "consent"

    # 4. the information notice, read with the person; the signed form, scanned
    notice = text_of(agent, "#information-notice")
    assert "Vous seul(e) pouvez ouvrir votre coffre et lire vos papiers." in notice, notice
    assert "Vous pouvez fermer votre coffre à tout moment." in notice, notice
    agent.check("#method-paper")
    agent.set_input_files("#consent_form", str(consent_scan))
    agent.click("#agree")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "mandate"

    # 5. the person lets this agent deposit (only that), signing on screen
    agent.uncheck("#scope-consult")
    agent.check("#scope-deposit")
    agent.check("#mandate-electronic")
    agent.fill("#mandate_password", NEW_PASSWORD)
    agent.click("#make-mandate")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "deposit"

    # 6. the identity card, photographed
    agent.select_option("#document_type", "cni")
    agent.set_input_files("#file", str(id_card))
    agent.click("#deposit")
    assert agent.locator("#opening-wizard").get_attribute("data-step") == "done"
    assert text_of(agent, "#summary-login") == NEW_LOGIN
    assert "formulaire signé joint" in text_of(agent, "#summary-consent")
    assert "Carte nationale d'identité" in text_of(agent, "#summary-papers"), text_of(
        agent, "#summary"
    )
    assert NEW_PASSWORD not in agent.content()

    # 7. the welcome sheet: how to get in and recover access, the rights; no password
    sheet = shown_pdf(agent, lambda: agent.click("#welcome-sheet"))
    assert agent.context.pages[-1].url.endswith("/@@feuille-accueil")  # a new tab, to print
    words = pdf_text(sheet)
    assert f"Votre identifiant : {NEW_LOGIN}" in words, words
    assert f"{site.url}/mon-coffre" in words
    assert f"{site.url}/mon-coffre/mot-de-passe-oublie" in words  # recovering access
    assert "Vous seul(e) pouvez voir vos papiers" in words  # the rights
    assert "Vous pouvez fermer votre coffre à tout moment" in words
    assert NEW_PASSWORD not in words

    # The person, at home, on a phone: the identity card is in "Mes papiers".
    person = phone(browser)
    assert person_login(person, site, NEW_LOGIN, NEW_PASSWORD), text_of(person)
    assert person.url.endswith("/mon-coffre/papiers"), person.url
    assert person.inner_text("h1") == "Mes papiers"
    card = person.locator("li.card", has_text="Carte nationale d'identité")
    assert card.count() == 1, text_of(person)
    assert "Espace partagé" in text_of(card)

    # Integrity: the stored paper is the one served, and the history tells the opening in order.
    card.locator("a").click()
    person.wait_for_load_state()
    paper_url = person.get_attribute("#action-download", "href").rsplit("/@@download", 1)[0]
    original = download(person, lambda: person.click("#action-download"), tmp_path / "cni.jpg")
    from PIL import Image

    assert Image.open(BytesIO(original)).size == (856, 540)
    metadata = paper_as_owner(site, NEW_LOGIN, NEW_PASSWORD, paper_url)
    assert metadata["sha256"] == hashlib.sha256(original).hexdigest()
    actions = [action for action, _sentence in history_actions(person, site)]
    assert in_order(
        actions, ["open", "consent", "mandate_created", "deposit", "welcome_sheet_printed", "login"]
    ), actions
    assert NEW_PASSWORD not in person.content()


# --- 2. the person on a phone: a payslip, printed, shared with the CAF --------------------

PERSON = "alice.martin"
PAYSLIP = "Bulletin de salaire de septembre"


def test_person_photographs_prints_and_shares_a_payslip_then_stops_the_link(
    real_site, browser, tmp_path
):
    site = real_site
    photos = []
    for number in (1, 2):
        path = tmp_path / f"photo-{number}.jpg"
        path.write_bytes(
            jpeg([f"BULLETIN DE PAIE - page {number}/2", "MARTIN Alice"], (620, 877), "ivory")
        )
        photos.append(str(path))
    issued = today() - timedelta(days=75)  # valid 3 months: expires in about 15 days

    person = phone(browser)
    assert person_login(person, site, PERSON, PASSWORD), text_of(person)

    # Two photos of the payslip → one paper
    person.locator("main").get_by_role("link", name="Ajouter un papier").click()
    person.wait_for_load_state()
    person.select_option("#document_type", "bulletin-salaire")
    person.fill("#title", PAYSLIP)
    person.fill("#issued", issued.isoformat())
    person.set_input_files("#photos", photos)
    assert "2" in person.inner_text("#photos-count")
    person.click("#add-form button[type=submit]")
    person.wait_for_load_state()
    assert person.url.split("?")[0].endswith("/mon-coffre/papiers"), text_of(person)
    assert "Votre papier est ajouté." in text_of(person)
    card = person.locator("li.card[aria-current='true']")
    assert PAYSLIP in text_of(card)
    assert "Bulletin de salaire" in text_of(card)
    expiry = card.locator(".badge")
    assert expiry.all_inner_texts() == ["expire bientôt"], text_of(card)
    assert "badge-warn" in expiry.get_attribute("class")
    assert re.search(r"Valable jusqu'au \d\d/\d\d/\d{4}", text_of(card)), text_of(card)

    # Print it: the print button answers a printable PDF of the two pages
    card.locator("a").click()
    person.wait_for_load_state()
    assert person.inner_text("h1") == PAYSLIP
    printed = shown_pdf(person, lambda: person.click("#action-print"))
    assert len(pdf_pages(printed)) == 2
    assert "/@@print" in person.url
    person.go_back()
    person.wait_for_load_state()
    assert person.inner_text("h1") == PAYSLIP
    paper_url = person.get_attribute("#action-download", "href").rsplit("/@@download", 1)[0]
    original = download(person, lambda: person.click("#action-download"), tmp_path / "pdf")
    assert len(pdf_pages(original)) == 2  # two photos, one PDF

    # Share it with the CAF for 7 days, with a code
    person.click("#action-share")
    person.wait_for_load_state()
    (uid,) = parse_qs(urlsplit(person.url).query)["uids"]  # the paper's "Partager" button
    assert person.is_checked(f"input[value='{uid}']")
    assert person.locator("input[name='uids:list']:checked").count() == 1
    person.fill("#recipient", "CAF de Démoville")
    assert person.locator("input[name=duration]:checked").get_attribute("value") == "7d"
    person.check("#with_code")
    person.click("#share-submit")
    person.wait_for_selector("#share-code")
    link = person.inner_text("#share-url").strip()
    code = person.inner_text("#share-code").strip()
    assert "/@@lien#" in link and re.fullmatch(r"\d{6}", code), (link, code)
    assert words(today() + timedelta(days=7)) in text_of(person)

    # The CAF, in its own browser: the link, the code, the copy
    caf = desktop(browser)
    caf.goto(link)
    caf.wait_for_selector("#code-form")
    caf.fill("#code", code)
    caf.click("#code-form button[type=submit]")
    caf.wait_for_selector("#papers")
    assert PAYSLIP in text_of(caf, "#papers")
    copy = download(
        caf,
        lambda: caf.locator("#papers li", has_text=PAYSLIP).get_by_role("button").click(),
        tmp_path / "copie.pdf",
    )
    assert len(pdf_pages(copy)) == 2
    assert hashlib.sha256(copy).hexdigest() != hashlib.sha256(original).hexdigest()  # marked

    # The person sees the opening, then stops the link
    history = [sentence for _action, sentence in history_actions(person, site)]
    assert (
        f"CAF de Démoville a ouvert votre lien. Cette personne a téléchargé « {PAYSLIP} »."
        in history
    ), history
    person.goto(f"{site.url}/mon-coffre/partages")
    share = person.locator("li.share", has_text=PAYSLIP)
    assert share.count() == 1
    assert "copie téléchargée" in text_of(share)
    share.get_by_role("button", name="Arrêter ce lien").click()
    person.wait_for_selector("p.done")
    assert text_of(person, "p.done") == "Le lien est arrêté. Il ne marche plus."

    # The link now refuses, in plain French (the CAF opens it again, in a new tab)
    caf = caf.context.new_page()
    caf.goto(link)
    caf.wait_for_selector("#link-error")
    assert "Ce lien a été arrêté par la personne qui l'a partagé" in text_of(caf, "#link-error")
    assert caf.locator("#papers").count() == 0

    # Integrity: the paper served is the paper stored; the history in order
    metadata = paper_as_owner(site, PERSON, PASSWORD, paper_url)
    assert metadata["sha256"] == hashlib.sha256(original).hexdigest()
    actions = [action for action, _sentence in history_actions(person, site)]
    assert in_order(actions, ["deposit", "print", "share", "share_opened", "unshare"]), actions


# --- 3. the password forgotten: an agent starts a reset, the person chooses -------------

HELPED = "bruno.diallo"
HELPED_BIRTH = "02/11/1979"
CHOSEN = "Mangue-et-citron-2026"
COLLEAGUE = "accueil"  # Claire Bernard, the second CCAS agent of the four eyes


def give_the_colleague_the_account_scope(site):
    """Bruno Diallo (no phone, no e-mail, no questions) names the reception agent too in a
    mandate with the account scope: a printed code for him needs a second CCAS agent's
    confirmation (decision 0043).  Set up through REST, before the journey."""
    mine = site.session("travailleur").get(f"{site.url}/coffres/@my-vaults", timeout=60)
    (item,) = [item for item in mine.json()["items"] if item["last_name"] == "Diallo"]
    vault = f"{site.url}/coffres/{item['id']}"
    made = site.session(HELPED).post(
        f"{vault}/@mandates",
        json={"agents": [COLLEAGUE], "scopes": ["account"], "purpose": "Accueil", "submit": True},
        timeout=60,
    )
    assert made.status_code == 201, made.text[:500]
    mandate = made.json()["@id"]
    for who, body in ((HELPED, {"method": "electronic"}), (COLLEAGUE, {})):
        signed = site.session(who).post(f"{mandate}/@mandate-sign", json=body, timeout=60)
        assert signed.status_code == 200, signed.text[:500]


def test_agent_starts_a_reset_and_the_person_chooses_a_password_the_agent_never_sees(
    real_site, browser
):
    site = real_site
    give_the_colleague_the_account_scope(site)
    agent = desktop(browser)
    staff_login(agent, site, "travailleur")
    to_agent_home(agent)
    row = agent.locator("#home-accompaniments-table tr", has_text="Bruno Diallo")
    assert "Aider pour le compte" in text_of(row)
    row.get_by_role("link", name="Aide pour le mot de passe").click()
    agent.wait_for_load_state()
    assert agent.inner_text("h1.documentFirstHeading") == "Aide pour le mot de passe"
    assert HELPED in text_of(agent, "#content")
    assert agent.is_checked("#delivery-print")  # no phone number: on paper
    agent.click("#start-reset")
    agent.wait_for_selector("#reset-code")
    code = agent.inner_text("#reset-code").strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    sheet = text_of(agent, "body")
    assert HELPED in sheet and "/mon-coffre/nouveau-mot-de-passe" in sheet
    assert "Une deuxième personne du CCAS doit confirmer ce code" in sheet
    agent_pages = [agent.content()]
    help_url = agent.url.split("?")[0]

    # No phone, no e-mail, no questions: a second CCAS agent confirms (four eyes, 0043)
    agent.goto(help_url)
    assert agent.locator("#confirm-reset").count() == 0  # not the agent who made it
    colleague = desktop(browser)
    staff_login(colleague, site, COLLEAGUE)
    colleague.goto(help_url)
    assert "Samir Haddad" in text_of(colleague, "#help-waiting")
    colleague.click("#confirm-reset")
    colleague.wait_for_selector("#help-confirmed")

    # The person, on the phone, with the printed code and the date of birth
    person = phone(browser)
    person.goto(f"{site.url}/mon-coffre/connexion")
    person.get_by_role("link", name="J'ai oublié mon mot de passe").click()
    person.wait_for_load_state()
    person.click("#route-code")
    person.wait_for_load_state()
    person.fill("#login", HELPED)
    person.click("#see-code-form")
    person.wait_for_load_state()
    person.fill("#code", code)
    person.fill("#birth", HELPED_BIRTH)
    person.fill("#new_password", CHOSEN)
    person.fill("#new_password_again", CHOSEN)
    person.click("#save-password")
    person.wait_for_load_state()
    assert "Votre nouveau mot de passe est enregistré" in text_of(person)
    person.click("#go-login")
    person.wait_for_load_state()
    assert person_login(person, site, HELPED, CHOSEN), text_of(person)
    assert person.inner_text("h1") == "Mes papiers"
    # told on the first page, until the person dismisses it
    notice = "avec l'aide de l'accueil du CCAS. Si ce n'était pas vous, venez au CCAS."
    assert notice in text_of(person, "#notices")
    person.get_by_role("button", name="J'ai compris").click()
    person.wait_for_load_state()
    assert person.inner_text("h1") == "Mes papiers"
    assert notice not in text_of(person)

    # The old password no longer opens the safe
    other_phone = phone(browser)
    assert not person_login(other_phone, site, HELPED, PASSWORD)
    assert other_phone.locator("#login-form").count() == 1

    # The agent's pages never show the new password
    for url in (
        f"{site.url}/@@accueil-agent",
        agent.url.split("?")[0],  # @@aide-compte
        agent.url.split("/@@")[0] + "/@@vault-history",
    ):
        answer = agent.goto(url)
        assert answer.status == 200, url
        agent_pages.append(agent.content())
    assert all(CHOSEN not in html for html in agent_pages)

    # Integrity: the person's history tells the help then the new password, never the password
    history = history_actions(person, site)
    actions = [action for action, _sentence in history]
    assert in_order(actions, ["account_help", "password_reset_completed", "login"]), history
    helped = [sentence for action, sentence in history if action == "account_help"]
    for name in ("Samir Haddad", "Claire Bernard"):  # both agents of the four eyes
        assert any(s.startswith(name) and "vous a aidé pour votre compte" in s for s in helped)
    chosen = [sentence for action, sentence in history if action == "password_reset_completed"]
    assert chosen[-1] == "Un nouveau mot de passe a été choisi."
    assert CHOSEN not in person.content()
