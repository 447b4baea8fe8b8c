"""A relative as mandatary, on the product as shipped (issue 24 acceptance, decision 0049).

On ``real_site`` (``make start``'s instance and demo, served by ``runwsgi``), in
Chromium on phones: Alice Martin names her son with consult + deposit for 3
months; the son opens the link on his phone, opens his own account (login and
password of his own, no e-mail) and signs; he sees and previews her shared
papers, adds one, cannot open her private space nor download an original; the
minute his mother stops the mandate, he sees nothing any more.  Then the matrix
cells of a relative (tests/access_matrix.py) are checked there over REST.
"""

from access_matrix import MATRIX
from datetime import date
from journeys import person_login
from journeys import phone
from journeys import text_of
from journeys import today
from journeys import words
from public_skin import screenshot
from test_watermark import multi_page_pdf
import base64
import pytest
import re
import requests


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

SON_PASSWORD = "Lucas-mot-de-passe-9"
JSON = {"Accept": "application/json"}


def add_months(day, months):
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)


def name_relative(page, site, name, relation, scopes):
    page.goto(f"{site.url}/mon-coffre/acces")
    page.click("#new-relative")
    page.fill("#name", name)
    page.fill("#relation", relation)
    for scope in scopes:
        page.check(f"#scope-{scope}")
    page.select_option("#months", "3")
    page.check("#agree")
    page.click("#relative-submit")
    page.wait_for_load_state()
    assert "/proche/lien" in page.url, text_of(page)
    return page.inner_text("#invitation-url").strip()


def test_alice_names_her_son_who_helps_until_she_stops_it(real_site, browser):
    mother = phone(browser)
    assert person_login(mother, real_site, "alice.martin")
    link = name_relative(mother, real_site, "Lucas Martin", "mon fils", ("consult", "deposit"))
    screenshot(mother, "proche-lien")

    # The son, on his own phone, opens the link: no account yet.
    son = phone(browser)
    son.goto(link)
    invitation = text_of(son)
    assert "Alice Martin" in invitation and "mon fils" in invitation
    son.fill("#fullname", "Lucas Martin")
    son.fill("#login", "lucas.martin")
    son.fill("#new_password", SON_PASSWORD)
    son.fill("#new_password_again", SON_PASSWORD)
    son.check("#agree")
    screenshot(son, "proche-invitation")
    son.click("#invitation-sign")
    son.wait_for_load_state()
    assert "/mon-coffre/coffres-aides" in son.url, text_of(son)
    helped = text_of(son, "#helped-vaults")
    assert "Alice Martin" in helped and "mon fils" in helped
    assert words(add_months(today(), 3)) in helped
    screenshot(son, "coffres-aides")

    # Her shared papers, previewed; nothing of her private space; no original.
    son.click("#helped-vaults a")
    son.wait_for_load_state()
    base = son.url.rsplit("/", 1)[0]
    vault_id = re.search(r"/mon-coffre/aide/([^/]+)/", son.url).group(1)
    papers = text_of(son)
    assert "Espace privé" not in papers and "Espace partagé" in papers
    cards = son.locator("main .card a")
    assert cards.count() >= 1
    cards.first.click()
    son.wait_for_load_state()
    assert son.locator("#action-download").count() == 0
    assert son.locator("#action-print").count() == 0
    assert son.locator("#paper-history").count() == 0
    preview_url = son.get_attribute("img.preview", "src")
    preview = son.request.get(preview_url)
    assert preview.status == 200 and preview.headers["content-type"] == "image/png"
    paper_url = preview_url.rsplit("/@@preview", 1)[0]
    original = son.request.get(f"{paper_url}/@@download/file", max_redirects=0)
    assert original.status in (302, 401, 403) and not original.body().startswith(b"%PDF")

    vault_url = f"{real_site.url}/coffres/{vault_id}"
    alice = requests.Session()
    alice.auth = ("alice.martin", "demo")
    private = alice.get(f"{vault_url}/prive", headers=JSON, timeout=60).json()["items"]
    assert private, "Alice keeps private papers"
    for target in (f"{vault_url}/prive", private[0]["@id"], f"{private[0]['@id']}/@@preview"):
        answer = son.request.get(target, max_redirects=0)
        assert answer.status in (302, 401, 403), target
        body = answer.body()
        assert not body.startswith((b"\x89PNG", b"%PDF")) and b'"items"' not in body
    for name in ("compte", "historique", "acces", "partager"):
        son.goto(f"{base}/{name}")
        assert son.locator("#helper-refused").count() == 1, name

    # He adds a paper: it lands in her shared space, under his name in her history.
    listing = f"{vault_url}/partage"
    before = len(alice.get(listing, headers=JSON, timeout=60).json()["items"])
    son.goto(f"{base}/papiers")
    son.click("main a[href$='/ajouter']")
    son.wait_for_load_state()
    son.select_option("#document_type", "attestation-caf")
    son.fill("#title", "Quittance de loyer de Lucas")
    son.set_input_files(
        "#file",
        {"name": "quittance.pdf", "mimeType": "application/pdf", "buffer": multi_page_pdf(1)},
    )
    son.click("#add-form button[type=submit]")
    son.wait_for_load_state()
    assert "Quittance de loyer de Lucas" in text_of(son), text_of(son)
    assert len(alice.get(listing, headers=JSON, timeout=60).json()["items"]) == before + 1

    mother.goto(f"{real_site.url}/mon-coffre/historique")
    assert "Lucas Martin (mon fils)" in text_of(mother)

    # She stops it: the next page he asks for is refused, his preview too.
    mother.goto(f"{real_site.url}/mon-coffre/acces")
    card = mother.locator("li.mandate", has_text="mon fils")
    card.locator("a.btn-danger").click()
    mother.wait_for_load_state()
    mother.locator("main form button[type=submit]").click()
    mother.wait_for_load_state()
    son.goto(f"{base}/papiers")
    assert son.locator("#helper-refused").count() == 1
    assert "Quittance" not in text_of(son)
    gone = son.request.get(preview_url, max_redirects=0)
    assert gone.status in (302, 401, 403)
    son.goto(f"{real_site.url}/mon-coffre/coffres-aides")
    assert son.locator("#no-helped-vault").count() == 1


def test_a_relatives_matrix_cells_hold_on_the_shipped_configuration(real_site, browser):
    """Bruno Diallo names a neighbour with consult + deposit + share (the matrix's
    ``relative_multi``); her REST answers match the matrix, then ``relative_revoked``'s."""
    bruno = phone(browser)
    assert person_login(bruno, real_site, "bruno.diallo")
    link = name_relative(
        bruno, real_site, "Nadia Voisine", "ma voisine", ("consult", "deposit", "share")
    )
    neighbour = phone(browser)
    neighbour.goto(link)
    neighbour.fill("#fullname", "Nadia Voisine")
    neighbour.fill("#login", "nadia.voisine")
    neighbour.fill("#new_password", SON_PASSWORD)
    neighbour.fill("#new_password_again", SON_PASSWORD)
    neighbour.check("#agree")
    neighbour.click("#invitation-sign")
    neighbour.wait_for_load_state()
    neighbour.click("#helped-vaults a")
    vault_id = re.search(r"/mon-coffre/aide/([^/]+)/", neighbour.url).group(1)
    vault_url = f"{real_site.url}/coffres/{vault_id}"
    api_url = f"{real_site.url}/++api++/coffres/{vault_id}"

    owner = requests.Session()
    owner.auth = ("bruno.diallo", "demo")
    shared = owner.get(f"{vault_url}/partage", headers=JSON, timeout=60).json()["items"]
    private = owner.get(f"{vault_url}/prive", headers=JSON, timeout=60).json()["items"]
    shared_paper = next(i["@id"] for i in shared if "/courrier-du-ccas" not in i["@id"])
    papers = {"doc:shared": shared_paper, "doc:private": private[0]["@id"]}
    relative = requests.Session()
    relative.auth = ("nadia.voisine", SON_PASSWORD)

    def done(obj, action):
        url = papers.get(obj, vault_url).replace(real_site.url, f"{real_site.url}/++api++", 1)
        if action == "view":
            return relative.get(url, headers=JSON, timeout=60).status_code == 200
        if action == "preview":
            answer = relative.get(f"{url}/@preview", headers=JSON, timeout=60)
            return answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
        if action == "download":
            answer = relative.get(
                f"{papers[obj]}/@@download/file", timeout=60, allow_redirects=False
            )
            return answer.status_code == 200 and answer.content.startswith(b"%PDF")
        if action in ("deposit_shared", "deposit_private"):
            space = "partage" if action == "deposit_shared" else "prive"
            body = {
                "document_type": "attestation-caf",
                "file": {
                    "filename": "a.pdf",
                    "content_type": "application/pdf",
                    "data": base64.b64encode(multi_page_pdf(1)).decode(),
                },
            }
            answer = relative.post(
                f"{api_url}/{space}/@deposit", json=body, headers=JSON, timeout=60
            )
            return answer.status_code == 201
        if action == "share":
            context = f"{api_url}/partage" if obj == "doc:shared" else api_url
            uid = owner.get(papers[obj], headers=JSON, timeout=60).json()["UID"]
            body = {"documents": [uid], "recipient": "Bailleur", "duration": "1d"}
            answer = relative.post(f"{context}/@share-links", json=body, headers=JSON, timeout=60)
            return answer.status_code == 201
        raise AssertionError(action)

    cells = [
        ("doc:shared", "view"),
        ("doc:shared", "preview"),
        ("doc:shared", "download"),
        ("doc:shared", "share"),
        ("doc:private", "view"),
        ("doc:private", "preview"),
        ("doc:private", "download"),
        ("doc:private", "share"),
        ("vault:open", "deposit_shared"),
        ("vault:open", "deposit_private"),
    ]
    for actor in ("relative_multi", "relative_revoked"):
        if actor == "relative_revoked":
            bruno.goto(f"{real_site.url}/mon-coffre/acces")
            bruno.locator("li.mandate", has_text="ma voisine").locator("a.btn-danger").click()
            bruno.wait_for_load_state()
            bruno.locator("main form button[type=submit]").click()
            bruno.wait_for_load_state()
        wrong = [
            (obj, action)
            for obj, action in cells
            if done(obj, action) is not (actor in MATRIX[(obj, action)])
        ]
        assert wrong == [], (actor, wrong)
