"""Export → import reproduces the configuration; an invalid file changes nothing."""

from ccas.vault.checklists import add_checklist
from ccas.vault.checklists import get_checklist
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import update_document_type
from ccas.vault.organisations import add_organisation
from ccas.vault.organisations import get_organisation
from ccas.vault.policies import apply
from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.policies.export import export_configuration
from ccas.vault.policies.export import import_configuration
from plone import api
from vaults import acting_as
from vaults import make_user
import copy
import json
import pytest


@pytest.fixture
def configured(portal):
    """A CCAS that changed its rules, types, organisations and checklists."""
    make_user("archiviste", ["RecordsManager"])
    update_document_type("attestation-caf", validity_months=4, reminder_days=[15, 2])
    add_organisation("departement", title="Département", kind="departement", group_id="dep-agents")
    add_checklist("aide-energie", title_fr="Chèque énergie", items=["avis-imposition", "rib"])
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 35)
    with acting_as("archiviste"):
        apply.change("sharing-rules", True, {"durations": ["1d", "7d"], "code_required": True})
        apply.change("mandate-rules", True, {"default_months": 6, "allow_until_revoked": False})
        apply.change("expiry-flag-only", True)
        apply.change("certifying-organisations", True, {"organisations": ["ccas", "departement"]})
    return json.loads(json.dumps(export_configuration(portal)))  # through a file


def reset(portal):
    """Back to the add-on's defaults (what a fresh site has)."""
    with acting_as("archiviste"):
        for policy in registry.list_policies():
            if policy.is_active(portal):
                apply.change(policy.id, False)
    update_document_type("attestation-caf", validity_months=6, reminder_days=[30])
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 20)


def test_the_export_holds_policies_settings_types_organisations_and_checklists(configured):
    assert configured["format"] == "ccas.vault.configuration" and configured["version"] == 1
    assert configured["policies"]["sharing-rules"] == {
        "active": True,
        "options": {"durations": ["1d", "7d"], "max_duration": "revoked", "code_required": True},
    }
    assert configured["policies"]["closing-rules"]["active"] is False
    assert configured["settings"] == {"max_upload_size_mb": 35, "closing_grace_days": 7}
    assert configured["document_types"]["attestation-caf"]["validity_months"] == 4
    assert configured["organisations"]["departement"]["may_certify"] is True
    assert configured["checklists"]["aide-energie"]["items"] == ["avis-imposition", "rib"]
    assert "key_directory" not in configured["settings"]  # stays on each server


def test_export_reset_import_reproduces_the_configuration(portal, configured):
    reset(portal)
    assert registry.stored_state("sharing-rules")[0] is False
    with acting_as("archiviste"):
        summary = import_configuration(configured)
    assert summary["policies"] == len(configured["policies"])
    again = json.loads(json.dumps(export_configuration(portal)))
    for exported in (configured, again):
        exported.pop("exported_at")
    assert again == configured
    assert get_document_type("attestation-caf").reminder_days == (15, 2)
    assert apply.configuration_history(portal)[0]["action"] == "configuration_imported"


def errors_of(data):
    with acting_as("archiviste"), pytest.raises(PolicyError) as refused:
        import_configuration(data)
    assert refused.value.code == "invalid_configuration"
    assert "Rien n'a été changé" in refused.value.message_fr
    assert "nothing was changed" in str(refused.value)
    return refused.value.fields


def test_an_invalid_file_is_refused_with_every_error_and_changes_nothing(portal, configured):
    reset(portal)
    before = export_configuration(portal)
    bad = copy.deepcopy(configured)
    bad["format"] = "something else"
    bad["settings"]["max_upload_size_mb"] = 10_000
    bad["document_types"]["Bad Id"] = {"label_fr": "X"}
    bad["document_types"]["attestation-caf"]["category"] = "nonsense"
    bad["organisations"]["mairie"] = {"kind": "ccas"}  # no title
    bad["checklists"]["aide-energie"]["items"] = ["unknown-type"]
    bad["policies"]["sharing-rules"]["options"]["durations"] = ["2y"]
    bad["policies"]["no-such-rule"] = {"active": True, "options": {}}
    bad["colour"] = "red"
    fields = errors_of(bad)
    assert set(fields) >= {
        "format",
        "settings/max_upload_size_mb",
        "document_types/Bad Id",
        "document_types/attestation-caf/category",
        "organisations/mairie/title",
        "checklists/aide-energie/items",
        "policies/sharing-rules/options/durations",
        "policies/no-such-rule",
        "colour",
    }
    for english, french in fields.values():
        assert english and french
    after = export_configuration(portal)
    before.pop("exported_at"), after.pop("exported_at")
    assert after == before
    assert get_organisation("mairie") is None and get_checklist("aide-energie").items


def test_only_records_managers_import(portal, configured):
    make_user("curieux")
    with acting_as("curieux"), pytest.raises(Exception, match="Manage settings"):
        import_configuration(configured)
