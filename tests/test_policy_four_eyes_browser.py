"""Four-eyes certification over HTTP: REST ``@certify``, the ``@@certify`` form, a real Chromium.

Two agents of the CCAS, both mandated with the deposit scope (which brings
certify, the CCAS being a certifying organisation): the first asks, the second
validates, and the paper is certified.  An agent of another certifying
organisation (the CAF, switched to certifying for the test) may not.
"""

from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.certification import four_eyes
from ccas.vault.history import api as history
from ccas.vault.organisations import update_organisation
from ccas.vault.policies.interfaces import IWorkflowPolicy
from plone import api
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getUtility
import base64
import json
import pytest
import re
import requests
import transaction


@pytest.fixture
def paper(functional_portal, frozen):
    make_agent("accueil")
    make_agent("agent1")
    make_agent("agent2")
    ensure_group("caf-agents", "Agents de la CAF", ["VaultAgent"])
    ensure_account("agent-caf", PASSWORD, "Agent Caf", groups=["caf-agents"])
    update_organisation("caf", may_certify=True)
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, agents=("agent1", "agent2"), scopes=("consult", "deposit"))
    active_mandate(vault, agents=("agent-caf",), scopes=("consult", "deposit"))
    paper = deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    getUtility(IWorkflowPolicy, name="four-eyes-certification").apply(functional_portal)
    transaction.commit()
    return paper


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def certify(paper, login, **body):
    return requests.post(
        f"{paper.absolute_url()}/@certify",
        auth=(login, PASSWORD),
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        data=json.dumps(body) if body else None,
    )


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == code
    assert error["message"] and error["message_fr"] and error["message"] != error["message_fr"]


# -- REST ------------------------------------------------------------------------


def test_rest_certify_asks_then_a_second_agent_validates(paper):
    asked = certify(paper, "agent1")
    assert asked.status_code == 200, asked.text
    assert asked.json()["review_state"] == "pending_certification"
    assert asked.json()["certification_request"]["by"] == "agent1"
    assert asked.json()["certification"] == {}

    assert_error(certify(paper, "agent1"), 403, "same_agent")
    assert_error(certify(paper, "agent-caf"), 403, "other_organisation")
    assert_error(certify(paper, "agent2", decision="reject"), 400, "invalid_fields")
    assert_error(certify(paper, "agent2", decision="maybe"), 400, "invalid_fields")
    assert fresh(paper) is not None
    assert api.content.get_state(fresh(paper)) == "pending_certification"

    validated = certify(paper, "agent2")
    assert validated.status_code == 200, validated.text
    answer = validated.json()
    assert answer["review_state"] == "certified"
    assert answer["certification"]["requested_by"] == "agent1"
    assert answer["certification"]["validated_by"] == "agent2"
    assert "certification_request" not in answer


def requests_for(paper, login):
    directory = paper.aq_parent.aq_parent.aq_parent
    return requests.get(
        f"{directory.absolute_url()}/@certification-requests",
        auth=(login, PASSWORD),
        headers={"Accept": "application/json"},
    )


def test_agents_list_the_requests_they_may_validate(paper):
    assert requests_for(paper, "agent2").json() == {"items": [], "items_total": 0}
    assert certify(paper, "agent1").status_code == 200
    listed = requests_for(paper, "agent2")
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["@id"] == paper.absolute_url()
    assert (item["requested_by"], item["title"]) == ("agent1", "Attestation CAF")
    assert requests_for(paper, "agent1").json()["items_total"] == 0  # their own request
    assert requests_for(paper, "agent-caf").json()["items_total"] == 0  # another organisation
    assert requests_for(paper, "jdupont").status_code == 403


def test_rest_reject_sends_the_paper_back_with_the_reason(paper):
    assert certify(paper, "agent1").status_code == 200
    rejected = certify(paper, "agent2", decision="reject", reason="Mauvais document")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["review_state"] == "deposited"
    vault = fresh(paper).aq_parent.aq_parent
    line = [e for e in history.entries(vault) if e.action == "certification_rejected"][-1]
    assert (line.actor, line.details["reason"]) == ("agent2", "Mauvais document")


def test_rest_workflow_certify_is_no_longer_a_way_round(paper):
    response = requests.post(
        f"{paper.absolute_url()}/@workflow/certify",
        auth=("agent1", PASSWORD),
        headers={"Accept": "application/json"},
    )
    assert response.status_code >= 400
    assert api.content.get_state(fresh(paper)) == "deposited"


# -- the @@certify form -----------------------------------------------------------------


def form_post(paper, login, **data):
    url = f"{paper.absolute_url()}/@@certify"
    page = requests.get(url, auth=(login, PASSWORD))
    assert page.status_code == 200, page.status_code
    token = re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)
    return page, requests.post(
        url,
        data={"form.submitted": "1", "_authenticator": token, **data},
        auth=(login, PASSWORD),
        allow_redirects=False,
    )


def test_the_form_refuses_the_requester_with_a_french_message(paper):
    _page, asked = form_post(paper, "agent1", certify="1")
    assert asked.status_code == 303
    page, again = form_post(paper, "agent1", certify="1")
    assert "reject-form" in page.text
    assert again.status_code == 400
    assert "autre agent" in again.text
    _page, refused = form_post(paper, "agent2", reject="1", reason="Illisible")
    assert refused.status_code == 303
    assert api.content.get_state(fresh(paper)) == "deposited"


# -- a real browser -------------------------------------------------------------------


def basic(login):
    token = base64.b64encode(f"{login}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.slow
def test_two_agents_certify_a_paper_in_chromium(paper):
    from playwright.sync_api import sync_playwright

    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")  # the intranet's language
    transaction.commit()
    url = f"{paper.absolute_url()}/@@certify"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            first = browser.new_context(locale="fr-FR", extra_http_headers=basic("agent1"))
            page = first.new_page()
            answer = page.goto(url)
            assert answer.status == 200, (answer.status, page.inner_text("body")[:1000])
            page.get_by_role("button", name="Demander la certification").click()
            page.wait_for_load_state()
            assert "valider" in page.content()
            first.close()
            assert api.content.get_state(fresh(paper)) == "pending_certification"

            second = browser.new_context(locale="fr-FR", extra_http_headers=basic("agent2"))
            page = second.new_page()
            page.goto(url)
            assert page.locator("#certification-request").inner_text().count("Agent1") == 1
            assert page.get_by_role("button", name="Refuser").is_visible()
            page.get_by_role("button", name="Valider la certification").click()
            page.wait_for_load_state()
            assert "certifié" in page.content()
            second.close()
        finally:
            browser.close()
    paper = fresh(paper)
    assert api.content.get_state(paper) == "certified"
    assert paper.certification["requested_by"] == "agent1"
    assert paper.certification["validated_by"] == "agent2"
    assert four_eyes.pending_request(paper) is None
