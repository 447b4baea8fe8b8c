"""``@workflow-policies`` and the ``@@ccas-policies`` control panel, through HTTP."""

from ccas.vault.policies import registry
from vaults import make_agent
from vaults import make_user
from vaults import PASSWORD
import pytest
import re
import transaction


@pytest.fixture
def http(functional_portal, request_factory):
    make_user("archiviste", ["RecordsManager"])
    make_agent("travailleur")
    transaction.commit()

    def session(login=None):
        return request_factory() if login is None else request_factory(basic_auth=(login, PASSWORD))

    return session


def test_records_managers_list_preview_switch_and_read_the_history(http):
    rm = http("archiviste")
    listing = rm.get("@workflow-policies")
    assert listing.status_code == 200, listing.text
    items = {item["id"]: item for item in listing.json()["items"]}
    assert {"sharing-rules", "expiry-flag-only", "mandate-rules"} <= set(items)
    sharing = items["sharing-rules"]
    assert sharing["active"] is False
    assert {field["name"] for field in sharing["fields"]} == {
        "durations",
        "max_duration",
        "code_required",
    }

    preview = rm.get(
        "@workflow-policies/expiry-flag-only/preview", params={"active": "true", "options": "{}"}
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["refused"] is None
    assert any("expire" in (row[2] or []) for row in preview.json()["transitions"])

    switched = rm.post(
        "@workflow-policies/sharing-rules",
        json={"active": True, "options": {"code_required": True}},
    )
    assert switched.status_code == 200, switched.text
    assert switched.json()["active"] is True and switched.json()["options"]["code_required"] is True

    history = rm.get("@workflow-policies/history").json()["items"]
    assert history[0]["action"] == "policy_applied" and history[0]["actor"] == "archiviste"


def test_bad_requests_get_clear_errors_in_french_and_english(http):
    rm = http("archiviste")
    bad = rm.post(
        "@workflow-policies/mandate-rules", json={"active": True, "options": {"max_months": -1}}
    )
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["type"] == "bad_options" and error["message_fr"]
    assert error["fields"]["max_months"]["fr"]
    assert rm.post("@workflow-policies/mandate-rules", json={"active": "yes"}).status_code == 400
    assert rm.get("@workflow-policies/nope").status_code == 404
    transaction.begin()
    assert registry.stored_state("mandate-rules")[0] is False


@pytest.mark.parametrize("login,status", [(None, 401), ("travailleur", 403)])
def test_others_cannot_read_or_change_the_rules(http, login, status):
    session = http(login)
    assert session.get("@workflow-policies").status_code == status
    assert session.get("@workflow-policies/export").status_code == status
    assert (
        session.post("@workflow-policies/sharing-rules", json={"active": True}).status_code
        == status
    )


def test_export_and_import_through_rest(http):
    rm = http("archiviste")
    exported = rm.get("@workflow-policies/export")
    assert exported.status_code == 200
    configuration = exported.json()
    configuration["policies"]["sharing-rules"] = {"active": True, "options": {"durations": ["7d"]}}
    imported = rm.post("@workflow-policies/import", json=configuration)
    assert imported.status_code == 200, imported.text
    assert rm.get("@workflow-policies/sharing-rules").json()["options"]["durations"] == ["7d"]
    configuration["version"] = 99
    refused = rm.post("@workflow-policies/import", json=configuration)
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["version"]["fr"]


def test_the_control_panel_previews_then_applies(functional_portal, http):
    from plone.testing.zope import Browser

    browser = Browser(functional_portal.aq_parent)
    browser.handleErrors = False
    browser.addHeader("Authorization", f"Basic archiviste:{PASSWORD}")
    url = functional_portal.absolute_url()
    browser.open(f"{url}/@@ccas-policies")
    assert "policy-sharing-rules" in browser.contents
    assert "configuration-history" in browser.contents
    browser.open(f"{url}/@@ccas-policies?policy=expiry-flag-only")
    browser.getControl(name="preview").click()
    assert "policy-preview" in browser.contents
    assert re.search(r"deposited.*expire", browser.contents)
    browser.getControl(name="apply").click()
    assert browser.url.endswith("@@ccas-policies")
    transaction.begin()
    assert registry.stored_state("expiry-flag-only")[0] is True
    browser.open(f"{url}/@@ccas-policies-export")
    assert '"expiry-flag-only"' in browser.contents


def panel(functional_portal):
    from plone.testing.zope import Browser

    browser = Browser(functional_portal.aq_parent)
    browser.handleErrors = False
    browser.raiseHttpErrors = False
    browser.addHeader("Authorization", f"Basic archiviste:{PASSWORD}")
    return browser


def test_the_control_panel_chooses_organisations_by_checkbox(functional_portal, http):
    from ccas.vault.organisations import get_organisation

    browser = panel(functional_portal)
    browser.open(
        f"{functional_portal.absolute_url()}/@@ccas-policies?policy=certifying-organisations"
    )
    boxes = browser.getControl(name="organisations:list")
    assert set(boxes.options) >= {"ccas", "caf"}
    boxes.value = ["caf"]
    browser.getControl(name="preview").click()
    assert "policy-preview" in browser.contents
    browser.getControl(name="apply").click()
    transaction.begin()
    assert get_organisation("caf").may_certify and not get_organisation("ccas").may_certify


def test_an_invalid_file_imported_in_the_panel_shows_the_errors_and_changes_nothing(
    functional_portal, http
):
    import io

    browser = panel(functional_portal)
    browser.open(f"{functional_portal.absolute_url()}/@@ccas-policies")
    bad = (
        b'{"format": "ccas.vault.configuration", "version": 1,'
        b' "settings": {"closing_grace_days": -3}}'
    )
    browser.getControl(name="configuration").add_file(io.BytesIO(bad), "application/json", "c.json")
    browser.getControl(name="import").click()
    assert "policy-errors" in browser.contents
    assert "Rien n'a été changé" in browser.contents or "nothing was changed" in browser.contents
    assert "closing_grace_days" in browser.contents
    transaction.begin()
    from plone import api

    assert api.portal.get_registry_record("ccas.vault.settings.closing_grace_days") == 7


def test_share_links_refuse_a_duration_the_ccas_does_not_offer(functional_portal, http):
    from ccas.vault.policies import apply
    from vaults import acting_as
    from vaults import consent_as_owner
    from vaults import deposit_as
    from vaults import open_vault_as

    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    paper = deposit_as("jdupont", vault["prive"])
    with acting_as("archiviste"):
        apply.change("sharing-rules", True, {"durations": ["1d"]})
    transaction.commit()
    body = {"documents": [paper.UID()], "recipient": "CAF", "duration": "7d"}
    links_url = f"coffres/{vault.getId()}/@share-links"
    refused = http("jdupont").post(links_url, json=body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"]["type"] == "duration_not_offered"
    assert refused.json()["error"]["message_fr"]
    body["duration"] = "1d"
    assert (
        http("jdupont").post(f"coffres/{vault.getId()}/@share-links", json=body).status_code == 201
    )
