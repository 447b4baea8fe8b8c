"""Control reports: each agent's actions in a vault, matched against the mandate, flagged."""

from AccessControl import Unauthorized
from ccas.vault import refusals
from ccas.vault import roles
from ccas.vault.api import control_report
from ccas.vault.api import mandates
from ccas.vault.browser.access import traced_preview
from ccas.vault.history import api as history
from ccas.vault.history.storage import get_history
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from plone import api
from vaults import acting_as
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import csv
import io
import pytest
import requests
import transaction


def active_mandate(vault, agents=("travailleur",), scopes=("consult",), start=None, end=None):
    with acting_as(vault.owner_login):
        mandate = mandates.create_mandate(vault, agents=agents, scopes=scopes, start=start, end=end)
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    for agent in agents:
        with acting_as(agent):
            mandates.sign_as_agent(mandate)
    return mandate


def people():
    make_agent("accueil")
    make_agent("travailleur")
    make_agent("autre-agent")
    make_user("archiviste", global_roles=[roles.RECORDS_MANAGER])
    make_user("gestionnaire", global_roles=["Manager"])


def shared_paper(vault):
    return vault["partage"].objectValues()[0]


def append_by_hand(vault, when, actor, action, target):
    """An entry at a chosen moment (the history API always stamps 'now')."""
    return get_history(vault).append(
        when=when.isoformat(timespec="microseconds"),
        actor=actor,
        actor_fullname=actor.title(),
        organisation="",
        roles=(),
        on_behalf_of="",
        action=action,
        target_uid=target.UID(),
        target_title=target.title,
        details={},
    )


# --- the API (integration) -----------------------------------------------------


@pytest.fixture
def vault(portal):
    people()
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    return vault


@pytest.fixture
def checked(vault):
    """travailleur: consult only; a preview, a refused download, a preview after the end."""
    mandate = active_mandate(vault, start=date.today() - timedelta(days=10))
    paper = shared_paper(vault)
    with acting_as("travailleur"):
        traced_preview(paper, paper.REQUEST)
        history.record(
            vault,
            "refused",
            details={"url": f"/coffres/{vault.getId()}/partage/{paper.getId()}/@@download"},
        )
    after_end = datetime.combine(mandate.end + timedelta(days=1), datetime.min.time(), UTC)
    append_by_hand(vault, after_end + timedelta(hours=12), "travailleur", "preview", paper)
    return mandate


def statuses(rows):
    return [(row["action"], row["status"]) for row in rows]


def test_each_action_of_the_agents_is_matched_against_the_mandate(vault, checked):
    with acting_as("jdupont"):
        rows = control_report.mandate_report(checked)
    assert statuses(rows) == [
        ("mandate_signed", "within"),
        ("preview", "within"),
        ("refused", "refused"),
        ("preview", "outside"),
    ]
    assert [row["flagged"] for row in rows] == [False, False, True, True]
    assert {row["agent"] for row in rows} == {"travailleur"}
    assert rows[1]["paper"] == "Attestation CAF"
    assert rows[2]["paper"].endswith("/@@download")


def test_the_opening_agent_is_not_in_the_report_of_a_mandate_naming_somebody_else(vault, checked):
    with acting_as("jdupont"):
        rows = control_report.mandate_report(checked)
    assert "accueil" not in {row["agent"] for row in rows}


def test_an_action_outside_the_scopes_is_flagged(vault, checked):
    paper = shared_paper(vault)
    with acting_as("travailleur"):
        history.record(vault, "download", target=paper)
    with acting_as("jdupont"):
        rows = control_report.mandate_report(checked)
    assert statuses(rows)[-1] == ("download", "outside")


def test_a_revoked_mandate_covers_nothing_after_its_revocation(vault, checked):
    with acting_as("jdupont"):
        mandates.revoke(checked)
    paper = shared_paper(vault)
    with acting_as("travailleur"):
        history.record(vault, "preview", target=paper)
    with acting_as("jdupont"):
        rows = control_report.mandate_report(checked)
    assert statuses(rows)[-1] == ("preview", "outside")


def test_the_csv_has_french_headers_and_one_line_per_action(vault, checked):
    with acting_as("jdupont"):
        text = control_report.report_csv(control_report.mandate_report(checked))
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["Date", "Agent", "Organisme", "Action", "Papier", "Conformité"]
    assert [line[5] for line in lines[1:]] == ["conforme", "conforme", "refusé", "hors mandat"]
    assert lines[2][4] == "Attestation CAF"


def test_a_records_manager_sees_opaque_ids_not_titles(vault, checked):
    paper = shared_paper(vault)
    with acting_as("archiviste"):
        rows = control_report.mandate_report(checked)
    assert rows[1]["paper"] == paper.UID()
    assert "Attestation CAF" not in control_report.report_csv(rows)


@pytest.mark.parametrize("login", ["travailleur", "autre-agent", "accueil", "gestionnaire", None])
def test_nobody_else_reads_the_report(vault, checked, login):
    with acting_as(login), pytest.raises(Unauthorized):
        control_report.mandate_report(checked)
    with acting_as(login), pytest.raises(Unauthorized):
        control_report.organisation_report("ccas", vault)


def test_the_organisation_report_covers_all_its_mandates_in_the_vault(vault, checked):
    organisation = checked.organisations["travailleur"]
    assert organisation
    other = active_mandate(vault, agents=("autre-agent",), scopes=("extract",))
    paper = shared_paper(vault)
    with acting_as("autre-agent"):
        history.record(vault, "download", target=paper)
    with acting_as("jdupont"):
        rows = control_report.organisation_report(organisation, vault)
        assert control_report.organisation_report("unknown-org", vault) == []
    assert other.organisations["autre-agent"] == organisation
    assert {row["agent"] for row in rows} == {"travailleur", "autre-agent"}
    assert ("download", "within") in statuses(rows)
    assert ("refused", "refused") in statuses(rows)


# --- through HTTP (functional): refusals recorded, REST, browser -----------------------


def get(url, login, **kw):
    auth = None if login is None else (login, PASSWORD)
    return requests.get(url, auth=auth, allow_redirects=False, timeout=60, **kw)


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse(obj.getPhysicalPath())


@pytest.fixture
def site(functional_portal):
    people()
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    deposit_as("jdupont", vault["prive"], title="Carte privée")
    mandate = active_mandate(vault, start=date.today() - timedelta(days=10))
    transaction.commit()
    return vault, mandate


def test_a_refused_download_is_recorded_and_flagged(site):
    vault, mandate = site
    paper = shared_paper(vault)
    response = get(f"{paper.absolute_url()}/@@download?x=1", "travailleur")
    assert response.status_code in (302, 401, 403)
    last = history.entries(fresh(vault))[-1]
    assert (last.action, last.actor) == ("access_refused", "travailleur")
    assert (
        last.details["url"]
        == f"/{vault.aq_parent.getId()}/{vault.getId()}/partage/{paper.getId()}/@@download"
    )
    assert last.details["method"] == "GET"
    with acting_as("jdupont"):
        rows = control_report.mandate_report(fresh(mandate))
    assert rows[-1]["status"] == "refused" and rows[-1]["flagged"]


def test_a_user_refused_again_and_again_leaves_one_line_per_quiet_time(site):
    """A script hammering a refused URL must not grow the person's history (refusals.QUIET)."""
    vault, _ = site
    paper = vault["prive"].objectValues()[0]
    before = len(history.entries(fresh(vault)))
    for _ in range(6):
        assert get(paper.absolute_url(), "autre-agent").status_code in (302, 401, 403)
        assert get(f"{paper.absolute_url()}/@@download", "autre-agent").status_code in (
            302,
            401,
            403,
        )
    assert get(paper.absolute_url(), "travailleur").status_code in (302, 401, 403)
    added = history.entries(fresh(vault))[before:]
    assert [(entry.action, entry.actor) for entry in added] == [
        ("access_refused", "autre-agent"),
        ("access_refused", "travailleur"),
    ]
    assert added[0].details["quiet_minutes"] == "10"
    assert refusals.recently_refused(fresh(vault), "autre-agent")
    later = datetime.now(UTC) + refusals.QUIET + timedelta(seconds=1)
    assert not refusals.recently_refused(fresh(vault), "autre-agent", now=later)
    assert not refusals.recently_refused(fresh(vault), "jdupont")


def test_an_agent_without_mandate_opening_a_paper_is_recorded(site):
    vault, _ = site
    paper = vault["prive"].objectValues()[0]
    response = get(paper.absolute_url(), "autre-agent")
    assert response.status_code in (302, 401, 403)
    last = history.entries(fresh(vault))[-1]
    assert (last.action, last.actor) == ("access_refused", "autre-agent")
    assert last.organisation  # the agent's organisation


def test_anonymous_owner_and_outside_refusals_are_not_recorded(site, functional_portal):
    vault, _ = site
    before = len(history.entries(fresh(vault)))
    paper = vault["prive"].objectValues()[0]
    assert get(paper.absolute_url(), None).status_code in (302, 401, 403)
    # a refusal to the owner is not recorded, nor one outside any vault
    get(f"{vault.absolute_url()}/@@overview-controlpanel", "jdupont")
    get(f"{functional_portal.absolute_url()}/@@overview-controlpanel", "travailleur")
    assert len(history.entries(fresh(vault))) == before


def test_the_rest_report_json_and_csv(site):
    vault, mandate = site
    paper = shared_paper(vault)
    get(f"{paper.absolute_url()}/@@download", "travailleur")
    url = f"{mandate.absolute_url()}/@control-report"
    headers = {"Accept": "application/json"}
    response = get(url, "jdupont", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["flagged"] == 1
    assert [item["status"] for item in body["items"]] == ["within", "refused"]
    response = get(f"{url}?format=csv", "archiviste", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.text.splitlines()[0] == "Date,Agent,Organisme,Action,Papier,Conformité"
    organisation = mandate.organisations["travailleur"]
    response = get(
        f"{vault.absolute_url()}/@control-report?organisation={organisation}",
        "archiviste",
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json()["items_total"] == body["items_total"]
    for login, status in (("travailleur", 403), ("gestionnaire", 403), (None, 401)):
        response = get(url, login, headers=headers)
        assert response.status_code == status, login
        assert response.json()["error"]["type"] in ("Forbidden", "Unauthorized")
    response = get(f"{vault.absolute_url()}/@control-report", "jdupont", headers=headers)
    assert response.status_code == 400


def test_the_report_page_highlights_flagged_rows(site):
    vault, mandate = site
    paper = shared_paper(vault)
    assert get(f"{paper.absolute_url()}/@@preview", "travailleur").status_code == 200
    get(f"{paper.absolute_url()}/@@download", "travailleur")
    response = get(f"{mandate.absolute_url()}/@@control-report", "jdupont")
    assert response.status_code == 200, response.status_code
    assert 'id="control-report"' in response.text
    assert 'data-status="refused"' in response.text
    assert "table-danger" in response.text
    assert "Attestation CAF" in response.text
    assert "@@control-report?format=csv" in response.text
    csv_response = get(f"{mandate.absolute_url()}/@@control-report?format=csv", "jdupont")
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    response = get(f"{mandate.absolute_url()}/@@control-report", "archiviste")
    assert response.status_code == 200
    assert "Attestation CAF" not in response.text
    response = get(f"{mandate.absolute_url()}/@@control-report", "autre-agent")
    assert response.status_code == 302


def test_a_refused_rest_read_is_recorded_too(site):
    vault, _ = site
    paper = vault["prive"].objectValues()[0]
    response = get(paper.absolute_url(), "autre-agent", headers={"Accept": "application/json"})
    assert response.status_code in (401, 403)
    last = history.entries(fresh(vault))[-1]
    assert (last.action, last.actor) == ("access_refused", "autre-agent")
    assert last.details["url"].endswith(paper.getId())
