"""A mandated agent on the instance as shipped (issue 17, decision 0031).

``make start``'s instance, served by ``runwsgi`` in a subprocess, loads the
generated ``site.zcml`` (``zope2.Public`` redefined as ``zope2.View``) and runs
AccessControl's C implementation.  There, the social worker of the demo, with a
consult + deposit + account-help mandate on Bruno Diallo's vault, reaches every
page and service the agent guide and ``docs/api.md`` give them; nobody without
the mandate — another agent, the Zope manager, an anonymous visitor — gets in.
"""

from real_instance import DEMO_PASSWORD
import pytest
import requests


pytestmark = pytest.mark.slow

WORKER = "travailleur"  # consult, deposit, account, certify on Bruno Diallo's vault
OTHER_AGENT = "partenaire-caf"  # a mandate on another person only
PERSON = "bruno.diallo"


@pytest.fixture(scope="module")
def vault(real_site):
    """Bruno Diallo's vault URL, found as the worker finds it ("my vaults")."""
    answer = real_site.session(WORKER).get(f"{real_site.url}/coffres/@my-vaults", timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    (item,) = [item for item in answer.json()["items"] if item["last_name"] == "Diallo"]
    assert {"consult", "account"} <= set(item["scopes"])
    return f"{real_site.url}/coffres/{item['id']}"


def page(session, url):
    """A browser-like GET (HTML, redirects not followed: a refusal is a 302 to login)."""
    return session.get(url, headers={"Accept": "text/html"}, allow_redirects=False, timeout=60)


@pytest.mark.parametrize(
    ("view", "content_type", "says"),
    [
        ("@@feuille-accueil", "application/pdf", b"%PDF-"),
        ("@@identity-check", "text/html", b"Diallo"),
        ("@@rendez-vous", "text/html", b"Diallo"),
        ("@@aide-compte", "text/html", b"Diallo"),
        ("@@vault-history", "text/html", b"<html"),
    ],
)
def test_the_mandated_worker_opens_the_vaults_agent_pages(
    real_site, vault, view, content_type, says
):
    answer = page(real_site.session(WORKER), f"{vault}/{view}")
    assert answer.status_code == 200, (answer.status_code, answer.headers.get("Location"))
    assert answer.headers["Content-Type"].startswith(content_type)
    assert says in answer.content


def test_the_mandated_worker_reads_the_mandates_naming_them(real_site, vault):
    answer = real_site.session(WORKER).get(f"{vault}/@mandates", timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    items = answer.json()["items"]
    assert items and all(WORKER in {agent["id"] for agent in item["agents"]} for item in items)
    assert any(item["in_force"] for item in items)


def test_a_proposed_mandate_is_signed_by_the_person_then_by_the_worker(real_site, vault):
    person, worker = real_site.session(PERSON), real_site.session(WORKER)
    created = person.post(
        f"{vault}/@mandates",
        json={"agents": [WORKER], "scopes": ["consult"], "purpose": "Logement", "submit": True},
        timeout=60,
    )
    assert created.status_code == 201, created.text[:500]
    mandate = created.json()["@id"]
    signed = person.post(f"{mandate}/@mandate-sign", json={"method": "electronic"}, timeout=60)
    assert signed.status_code == 200, signed.text[:500]
    signed = worker.post(f"{mandate}/@mandate-sign", json={}, timeout=60)
    assert signed.status_code == 200, signed.text[:500]
    states = {
        item["@id"]: item["review_state"]
        for item in person.get(f"{vault}/@mandates").json()["items"]
    }
    assert states[mandate] == "active"


def test_the_worker_starts_an_assisted_reset_and_gets_a_code_to_print(real_site, vault):
    answer = real_site.session(WORKER).post(
        f"{vault}/@assisted-reset", json={"delivery": "print"}, timeout=60
    )
    assert answer.status_code == 201, answer.text[:500]
    body = answer.json()
    assert body["delivery"] == "print" and body["code"] and body["expires"]


@pytest.mark.parametrize(
    "service", ["@mandates", "@vault-history", "@appointments", "@checklists", "@share-links"]
)
@pytest.mark.parametrize("who", [OTHER_AGENT, "admin", None])
def test_nobody_without_a_mandate_reads_the_vaults_services(real_site, vault, service, who):
    session = (
        requests.Session()
        if who is None
        else real_site.session(who, "admin" if who == "admin" else DEMO_PASSWORD)
    )
    session.headers["Accept"] = "application/json"
    answer = session.get(f"{vault}/{service}", timeout=60)
    assert answer.status_code == (401 if who is None else 403), answer.text[:300]


REFUSED_PAGES = [
    (who, view)
    for who in (OTHER_AGENT, "admin", None)
    for view in ("@@feuille-accueil", "@@identity-check", "@@aide-compte", "@@vault-history")
    # Any agent who opens vaults prints a welcome sheet (decision 0019): not a paper.
    if (who, view) != (OTHER_AGENT, "@@feuille-accueil")
]


@pytest.mark.parametrize(("who", "view"), REFUSED_PAGES)
def test_nobody_without_a_mandate_opens_the_vaults_agent_pages(real_site, vault, who, view):
    session = requests.Session()
    if who is not None:
        session.auth = (who, "admin" if who == "admin" else DEMO_PASSWORD)
    answer = page(session, f"{vault}/{view}")
    assert answer.status_code in (302, 401, 403), answer.status_code
    assert b"Diallo" not in answer.content and b"%PDF" not in answer.content


def test_the_private_space_stays_closed_to_the_mandated_worker(real_site, vault):
    person, worker = real_site.session(PERSON), real_site.session(WORKER)
    private = person.get(f"{vault}/prive", timeout=60)
    assert private.status_code == 200
    papers = [item["@id"] for item in private.json()["items"]]
    assert papers, "the demo person keeps a private paper"
    assert worker.get(f"{vault}/prive", timeout=60).status_code in (401, 403)
    for paper in papers:
        assert worker.get(paper, timeout=60).status_code in (401, 403)
        download = worker.get(f"{paper}/@@download/file", allow_redirects=False, timeout=60)
        assert download.status_code in (302, 401, 403)
        assert not download.content.startswith((b"%PDF", b"\xff\xd8"))
