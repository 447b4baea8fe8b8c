"""Issue 19, items 6, 8, 13 and 15 (decision 0037), attacked over HTTP on the functional
layer's server (AccessControl's C implementation, the instance's site.zcml prelude).

6. A share link an agent made under a mandate stops with the mandate: revoked (at once),
   past its end date (when the link is opened, and at the clock's next run).  Links the
   person made stay.  The person sees why in "Mes partages" and in the history.
13. A link whose paper was replaced stops: the recipient reads "Ce document a été remplacé
   par une version plus récente ; demandez un nouveau lien", single paper and bundle alike;
   the person is told.
8. Partner agents (the CAF's) neither list nor discard the CCAS's parked letters.
15. An agent refused a page of a vault is written as what it is, naming the agent, never as
   "Un fichier a été refusé".
"""

from ccas.vault import clock
from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.history import api as history
from ccas.vault.letters.delivery import receive_letter
from ccas.vault.security import as_system
from ccas.vault.sharing import links
from datetime import date
from datetime import datetime
from datetime import timedelta
from plone import api
from public_skin import skin
from test_ged_letters import letter
from test_watermark import multi_page_pdf
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import base64
import pytest
import requests
import transaction


REPLACED = "Ce document a été remplacé par une version plus récente ; demandez un nouveau lien."
MANDATE_ENDED = "il avait été fait par un agent dont le mandat est terminé"


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    make_agent("partageur")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Bulletin", data=multi_page_pdf(2))
    deposit_as("jdupont", vault["partage"], title="Quittance", data=multi_page_pdf(1))
    transaction.commit()
    return vault


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def paper(vault, title):
    for doc in fresh(vault)["partage"].objectValues():
        if doc.Title() == title:
            return doc
    raise KeyError(title)


def make_link(vault, login, titles=("Bulletin",)):
    with acting_as(login):
        link, token, _ = links.create_link(
            fresh(vault), [paper(vault, t) for t in titles], f"CAF ({login})", "1m"
        )
    transaction.commit()
    return link, token


def lien(portal, **form):
    return requests.post(f"{portal.absolute_url()}/@@lien", data=form, timeout=60)


def http(login, method, url, **kw):
    kw.setdefault("headers", {"Accept": "application/json"})
    return requests.request(
        method, url, auth=(login, PASSWORD), allow_redirects=False, timeout=60, **kw
    )


def page(login, url):
    return requests.get(url, auth=(login, PASSWORD), allow_redirects=False, timeout=60)


def assert_serves(portal, token):
    copy = lien(portal, token=token, download="all")
    assert copy.status_code == 200, copy.text[:300]
    assert copy.content.startswith(b"%PDF")


def assert_stopped(portal, token, words):
    for form in ({}, {"download": "all"}):
        answer = lien(portal, token=token, **form)
        assert answer.status_code == 410, answer.text[:300]
        assert not answer.content.startswith(b"%PDF")
        assert words in answer.text
        assert "Traceback" not in answer.text


def stopped_entries(vault):
    return [e for e in history.entries(fresh(vault)) if e.action == "share_stopped"]


# --- item 6: links made under a mandate stop with it -------------------------------------


def test_revoking_the_mandate_stops_the_agents_links_at_once_not_the_persons(
    vault, functional_portal
):
    mandate = active_mandate(fresh(vault), agents=("partageur",), scopes=("share",))
    transaction.commit()
    _, agent_token = make_link(vault, "partageur")
    _, own_token = make_link(vault, "jdupont", titles=("Quittance",))
    assert_serves(functional_portal, agent_token)

    revoked = http("jdupont", "POST", f"{mandate.absolute_url()}/@mandate-revoke")
    assert revoked.status_code == 200, revoked.text

    assert_stopped(functional_portal, agent_token, MANDATE_ENDED)
    assert_serves(functional_portal, own_token)  # the person's own link is unaffected
    (entry,) = stopped_entries(vault)
    assert entry.details["why"] == "mandate_ended"
    assert entry.details["recipient"] == "CAF (partageur)"
    shares = page("jdupont", skin(functional_portal, "partages"))
    assert shares.status_code == 200
    assert (
        "Arrêté : le mandat de l&#x27;agent qui l&#x27;avait fait est terminé." in (shares.text)
        or "Arrêté : le mandat de l'agent qui l'avait fait est terminé." in shares.text
    )
    told = page("jdupont", skin(functional_portal, "historique"))
    assert "Le lien pour CAF (partageur) est arrêté" in told.text
    assert "le mandat de l" in told.text


def test_a_mandate_past_its_end_stops_the_link_when_opened_before_the_clock_runs(
    vault, functional_portal, frozen
):
    active_mandate(fresh(vault), agents=("partageur",), scopes=("share",), end=date(2026, 11, 30))
    transaction.commit()
    _, token = make_link(vault, "partageur")
    assert_serves(functional_portal, token)
    frozen(datetime(2026, 12, 1, 9, 0))  # the mandate's end has passed; no clock job has run
    assert_stopped(functional_portal, token, MANDATE_ENDED)
    assert [e.details["why"] for e in stopped_entries(vault)] == ["mandate_ended"]


def test_the_clock_stops_the_agents_links_of_an_expired_mandate(vault, functional_portal, frozen):
    active_mandate(fresh(vault), agents=("partageur",), scopes=("share",), end=date(2026, 11, 30))
    transaction.commit()
    link, token = make_link(vault, "partageur")
    _, own_token = make_link(vault, "jdupont")
    frozen(datetime(2026, 12, 1, 3, 0))
    with as_system():
        clock.run_clock(functional_portal)
    transaction.commit()
    assert api.content.get_state(fresh(link)) == "revoked"  # stopped by the clock itself
    assert fresh(link).ended["why"] == "mandate_ended"
    assert_stopped(functional_portal, token, MANDATE_ENDED)
    assert_serves(functional_portal, own_token)
    assert len(stopped_entries(vault)) == 1


# --- item 13: a replaced paper stops its links ---------------------------------------------


def test_replacing_a_paper_stops_its_links_single_and_bundle(vault, functional_portal):
    _, single = make_link(vault, "jdupont")
    _, bundle = make_link(vault, "jdupont", titles=("Bulletin", "Quittance"))
    _, other = make_link(vault, "jdupont", titles=("Quittance",))
    old = paper(vault, "Bulletin")
    replaced = http(
        "jdupont",
        "POST",
        f"{old.absolute_url()}/@replace",
        json={
            "file": {
                "filename": "bulletin.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(multi_page_pdf(1)).decode(),
            }
        },
    )
    assert replaced.status_code in (200, 201), replaced.text
    assert_stopped(functional_portal, single, REPLACED)
    assert_stopped(functional_portal, bundle, REPLACED)
    assert_serves(functional_portal, other)
    assert {e.details["why"] for e in stopped_entries(vault)} == {"replaced"}
    notices = [n["text"] for n in fresh(vault).pending_notices]
    assert any("remplacé par une version plus récente" in text for text in notices)
    shares = page("jdupont", skin(functional_portal, "partages"))
    assert "un papier a été remplacé par une version plus récente" in shares.text


def test_a_superseded_paper_is_not_served_even_if_the_link_was_left_active(
    vault, functional_portal
):
    """A link left active by an older version of the product (no stop at replacement)."""
    link, token = make_link(vault, "jdupont")
    old = paper(vault, "Bulletin")
    with as_system():
        api.content.transition(obj=old, transition="supersede")
    transaction.commit()
    assert api.content.get_state(fresh(link)) == "active"
    assert_stopped(functional_portal, token, REPLACED)


# --- item 8: parked letters are the CCAS's --------------------------------------------------


@pytest.fixture
def parked(functional_portal):
    make_agent("accueil")
    ensure_group("caf-agents", "Agents de la CAF", [roles.VAULT_AGENT])
    ensure_account("partenaire-caf", PASSWORD, "Julie Petit", groups=["caf-agents"])
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    receive_letter(letter(), "ged")
    transaction.commit()
    return functional_portal


def test_a_partner_agent_neither_lists_nor_discards_parked_letters(parked):
    base = parked.absolute_url()
    listing = http("partenaire-caf", "GET", f"{base}/@parked-letters")
    assert listing.status_code in (401, 403), listing.text
    assert "GED-2026-0001" not in listing.text
    discard = http(
        "partenaire-caf",
        "POST",
        f"{base}/@parked-letters/GED-2026-0001/discard",
        json={"reason": "Pas pour nous"},
    )
    assert discard.status_code in (401, 403), discard.text
    letters_page = page("partenaire-caf", f"{base}/@@courriers-en-attente")
    assert letters_page.status_code in (302, 401, 403), letters_page.status_code
    assert "GED-2026-0001" not in letters_page.text
    home = page("partenaire-caf", f"{base}/@@accueil-agent")
    assert home.status_code == 200
    assert "courriers-en-attente" not in home.text
    # the CCAS's agent still does
    ccas = http("accueil", "GET", f"{base}/@parked-letters")
    assert ccas.status_code == 200
    assert [item["ged_reference"] for item in ccas.json()["items"]] == ["GED-2026-0001"]
    assert "courriers-en-attente" in page("accueil", f"{base}/@@accueil-agent").text


# --- item 15: a refused page is not a refused file --------------------------------------------


def test_a_refused_page_names_the_agent_and_is_not_a_refused_file(vault, functional_portal):
    make_agent("curieux")
    transaction.commit()
    target = paper(vault, "Bulletin")
    refused = page("curieux", target.absolute_url())
    assert refused.status_code in (302, 401, 403)
    last = history.entries(fresh(vault))[-1]
    assert (last.action, last.actor) == ("access_refused", "curieux")
    told = page("jdupont", skin(functional_portal, "historique"))
    assert told.status_code == 200
    assert "Un fichier a été refusé" not in told.text
    assert "Curieux (CCAS) n'a pas pu ouvrir une page de votre coffre : accès refusé." in told.text
    assert "pas pu ouvrir une page de votre coffre : accès refusé" in told.text


def test_old_refused_pages_read_the_same_and_a_refused_file_stays_a_refused_file(
    vault, functional_portal
):
    """Entries written before the fix (``refused`` with a url) are worded as a refused page;
    a file refused at deposit keeps its own sentence."""
    make_agent("curieux")
    with acting_as("curieux"):
        history.record(
            fresh(vault), "refused", details={"url": "/coffres/x/prive", "method": "GET"}
        )
    transaction.commit()
    refused_file = http(
        "jdupont",
        "POST",
        f"{fresh(vault)['prive'].absolute_url()}/@deposit",
        json={
            "document_type": "attestation-caf",
            "file": {
                "filename": "cv.pdf",
                "content_type": "application/pdf",
                "data": base64.b64encode(b"MZ not a pdf").decode(),
            },
        },
    )
    assert refused_file.status_code == 400, refused_file.text
    told = page("jdupont", skin(functional_portal, "historique")).text
    assert "Curieux n'a pas pu ouvrir une page de votre coffre : accès refusé." in told
    assert told.count("Un fichier a été refusé") == 1  # the deposit, only


# --- the same attacks on make start's instance (subprocess, demo accounts, real clock) -----


@pytest.mark.slow
def test_on_a_real_instance_partenaire_caf_is_refused_the_parked_letters(real_site):
    parked_letter = letter("GED-REEL-0001", person={"ged_person_id": "GED-INCONNU-99"})
    delivered = real_site.session("ged").post(f"{real_site.url}/@ged-letters", json=parked_letter)
    assert delivered.status_code == 202, delivered.text  # accepted: parked
    assert delivered.json()["status"] == "parked"
    partner = real_site.session("partenaire-caf")
    listing = partner.get(f"{real_site.url}/@parked-letters")
    assert listing.status_code == 403, listing.text
    assert "GED-REEL-0001" not in listing.text
    discard = partner.post(
        f"{real_site.url}/@parked-letters/GED-REEL-0001/discard", json={"reason": "Pas à nous"}
    )
    assert discard.status_code == 403, discard.text
    ccas = real_site.session("accueil").get(f"{real_site.url}/@parked-letters")
    assert ccas.status_code == 200
    assert "GED-REEL-0001" in [item["ged_reference"] for item in ccas.json()["items"]]


@pytest.mark.slow
def test_on_a_real_instance_an_agents_link_stops_once_the_mandate_has_ended(real_site):
    agent = real_site.session("travailleur")
    mine = agent.get(f"{real_site.url}/coffres/@my-vaults")
    assert mine.status_code == 200, mine.text
    item = next(i for i in mine.json()["items"] if "share" in i["scopes"] and i["until"])
    vault_url = item["shared_space_url"].rsplit("/", 1)[0]
    listing = agent.get(item["shared_space_url"], params={"metadata_fields": "UID"})
    made = None
    for found in listing.json()["items"]:
        for duration in ("revoked", "1m"):  # until revoked when the CCAS offers it
            made = agent.post(
                f"{vault_url}/@share-links",
                json={
                    "documents": [found["UID"]],
                    "recipient": "CAF de Démoville",
                    "duration": duration,
                },
            )
            if made.status_code == 201:
                break
        if made.status_code == 201:
            break
    assert made is not None and made.status_code == 201, made and made.text
    token = made.json()["url"].rsplit("#", 1)[1]
    lien_url = f"{real_site.url}/@@lien"
    served = requests.post(lien_url, data={"token": token, "download": "all"}, timeout=60)
    assert served.status_code == 200 and served.content.startswith(b"%PDF")
    end = datetime.combine(date.fromisoformat(item["until"]), datetime.min.time())
    real_site.set_now(end + timedelta(days=1, hours=12))  # the day after the mandate's end

    def stopped():
        answer = requests.post(lien_url, data={"token": token, "download": "all"}, timeout=60)
        return answer.status_code == 410 and MANDATE_ENDED in answer.text

    real_site.wait_for(stopped, "the link stopped after the mandate's end", timeout=60)
