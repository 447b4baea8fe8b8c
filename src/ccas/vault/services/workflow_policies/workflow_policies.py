"""``@workflow-policies``: records managers list, preview, switch, export and import the rules.

* ``GET @workflow-policies`` — every policy (on/off, options, option fields);
* ``GET @workflow-policies/{id}`` — one policy;
* ``GET @workflow-policies/{id}/preview?active=true&options={json}`` — what would change;
* ``POST @workflow-policies/{id}`` ``{"active": true, "options": {...}}`` — switch on / off;
* ``GET @workflow-policies/history`` — the configuration history;
* ``GET @workflow-policies/export`` — the whole configuration (JSON file);
* ``POST @workflow-policies/import`` — put an exported configuration in force.

All need ``ccas.vault: Manage settings`` on the site.
"""

from ccas.vault import permissions
from ccas.vault.policies import apply
from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.policies.export import export_configuration
from ccas.vault.policies.export import import_configuration
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import RequestError
from ccas.vault.services.base import TraversingService
from ccas.vault.services.workflow_policies.describe import policy_info
import json


NOT_FOUND = ("Unknown address.", "Adresse inconnue.")


def policy_error(error, status=400):
    """A :class:`PolicyError` as a JSON error (fields in English and French)."""
    status = 404 if error.code == "unknown_policy" else status
    return RequestError(status, error.code, str(error), error.message_fr, dict(error.fields))


class _Base(TraversingService):
    required_permission = permissions.MANAGE_SETTINGS

    def url(self):
        return f"{self.context.absolute_url()}/@workflow-policies"

    def policy(self, policy_id):
        policy = registry.get_policy(policy_id)
        if policy is None:
            raise RequestError(
                404, "unknown_policy", "Unknown policy.", "Cette règle n'existe pas."
            )
        return policy


class WorkflowPoliciesGet(_Base):
    def reply(self):
        params = self.params
        if not params:
            items = [policy_info(p, self.context, self.request) for p in registry.list_policies()]
            return {"@id": self.url(), "items": items, "items_total": len(items)}
        if params == ["export"]:
            self.request.response.setHeader(
                "Content-Disposition", 'attachment; filename="ccas-vault-configuration.json"'
            )
            return export_configuration(self.context)
        if params == ["history"]:
            items = apply.configuration_history(self.context)
            return {"@id": f"{self.url()}/history", "items": items, "items_total": len(items)}
        if len(params) == 1:
            return {
                "@id": f"{self.url()}/{params[0]}",
                **policy_info(self.policy(params[0]), self.context, self.request),
            }
        if len(params) == 2 and params[1] == "preview":
            self.policy(params[0])
            return self.preview(params[0])
        raise RequestError(404, "not_found", *NOT_FOUND)

    def preview(self, policy_id):
        form = self.request.form
        active = str(form.get("active", "true")).lower() not in ("false", "0", "off", "no", "non")
        try:
            options = json.loads(form.get("options") or "{}")
        except ValueError:
            raise RequestError(
                400,
                "invalid_json",
                "options must be a JSON object",
                "Les options doivent être un objet JSON.",
            ) from None
        try:
            result = apply.preview(policy_id, active, options, portal=self.context)
        except PolicyError as error:
            raise policy_error(error) from error
        return {
            "@id": f"{self.url()}/{policy_id}/preview",
            "id": policy_id,
            "active": active,
            **result,
        }


class WorkflowPoliciesPost(_Base):
    def reply(self):
        data = self.body()
        disable_csrf(self.request)
        if self.params == ["import"]:
            if isinstance(data, dict) and isinstance(data.get("configuration"), dict):
                data = data["configuration"]
            try:
                summary = import_configuration(data, portal=self.context)
            except PolicyError as error:
                raise policy_error(error) from error
            return {"imported": summary}
        if len(self.params) != 1:
            raise RequestError(404, "not_found", *NOT_FOUND)
        self.policy(self.params[0])
        if not isinstance(data, dict) or not isinstance(data.get("active"), bool):
            raise RequestError(
                400,
                "invalid_fields",
                'Send {"active": true or false, "options": {...}}',
                'Envoyez {"active": true ou false, "options": {...}}.',
                {"active": ("Use true or false.", "Répondez par true (oui) ou false (non).")},
            )
        options = data.get("options") or {}
        try:
            apply.change(self.params[0], data["active"], options, portal=self.context)
        except PolicyError as error:
            raise policy_error(error) from error
        return policy_info(self.policy(self.params[0]), self.context, self.request)
