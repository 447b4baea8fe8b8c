"""Control panel ``@@ccas-policies``: the records managers' workflow policies.

The listing shows each policy (on/off), the configuration history, the
export link and the import form.  ``@@ccas-policies?policy=<id>`` shows one
policy's options; "Preview" shows what would change (states, transitions,
permissions, settings, objects affected) and the button that applies it.
Every change goes through :mod:`ccas.vault.policies.apply` (guard, trace).
"""

from ccas.vault import _
from ccas.vault.browser.views import ACTION_LABELS
from ccas.vault.browser.views import local_time
from ccas.vault.policies import apply
from ccas.vault.policies import registry
from ccas.vault.policies.errors import PolicyError
from ccas.vault.policies.export import export_configuration
from ccas.vault.policies.export import import_configuration
from ccas.vault.services.workflow_policies.describe import options_from_form
from ccas.vault.services.workflow_policies.describe import policy_info
from plone.protect import CheckAuthenticator
from Products.Five import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from Products.statusmessages.interfaces import IStatusMessage
from zExceptions import NotFound
from zope.i18n import translate
import json


LISTING = "@@ccas-policies"


class PoliciesControlPanel(BrowserView):
    """Listing, one policy's page, preview and apply, history, export and import."""

    listing_template = ViewPageTemplateFile("listing.pt")
    policy_template = ViewPageTemplateFile("policy.pt")
    label = _("Workflow rules")
    description = _(
        "Rules records managers switch on and off. Each change is previewed, checked "
        "(no rule can open a private space or a paper without a mandate) and kept in "
        "the configuration history."
    )
    errors = None
    preview = None
    preview_active = True

    def __call__(self):
        form = self.request.form
        policy_id = form.get("policy")
        if self.request.method == "POST":
            CheckAuthenticator(self.request)
            if form.get("import"):
                return self.do_import()
        if not policy_id:
            return self.listing_template()
        self.policy = registry.get_policy(policy_id)
        if self.policy is None:
            raise NotFound(policy_id)
        if self.request.method == "POST":
            return self.act()
        return self.policy_template()

    # --- one policy -------------------------------------------------------------

    def info(self):
        return policy_info(self.policy, self.context, self.request)

    def act(self):
        form = self.request.form
        active = not (form.get("preview_off") or form.get("revert"))
        options = options_from_form(self.policy, form) if active else {}
        try:
            if form.get("preview") or form.get("preview_off"):
                self.preview = apply.preview(self.policy.id, active, options, portal=self.context)
                self.preview_active = active
                return self.policy_template()
            apply.change(self.policy.id, active, options, portal=self.context)
        except PolicyError as error:
            self.errors = self.error_lines(error)
            self.request.response.setStatus(400)
            return self.policy_template()
        message = _("Rule switched on.") if active else _("Rule switched off.")
        IStatusMessage(self.request).addStatusMessage(message, "info")
        self.request.response.redirect(f"{self.context.absolute_url()}/{LISTING}")
        return ""

    def error_lines(self, error):
        lines = [error.message_fr if self.french() else str(error)]
        for name, (english, french) in sorted(error.fields.items()):
            lines.append(f"{name} : {french if self.french() else english}")
        return lines

    def french(self):
        return (self.request.get("LANGUAGE") or "fr").startswith("fr")

    def value(self, field):
        """The value to show in the form: what was posted, else what is in force."""
        name = field["name"]
        if self.request.method == "POST" and self.request.form.get("policy"):
            posted = options_from_form(self.policy, self.request.form)
            if name in posted:
                return posted[name]
        return self.info()["options"].get(name)

    def is_checked(self, field, choice=None):
        value = self.value(field)
        if choice is None:
            return bool(value)
        return choice in (value or [])

    def preview_rows(self):
        """The preview as readable lines."""
        preview = self.preview or {}
        rows = []
        for workflow, state, before, after in preview.get("transitions") or []:
            rows.append(
                f"{workflow} / {state} : {', '.join(before or ['—'])} → {', '.join(after or ['—'])}"
            )
        for workflow, state, permission, before, after in preview.get("permissions") or []:
            old, new = ", ".join(before) or "—", ", ".join(after) or "—"
            rows.append(f"{workflow} / {state} / {permission} : {old} → {new}")
        for name, (before, after) in sorted((preview.get("settings") or {}).items()):
            old = json.dumps(before, ensure_ascii=False)
            new = json.dumps(after, ensure_ascii=False)
            rows.append(f"{name} : {old} → {new}")
        return rows

    # --- listing ----------------------------------------------------------------

    def policies(self):
        return [policy_info(p, self.context, self.request) for p in registry.list_policies()]

    def history(self):
        rows = []
        for entry in apply.configuration_history(self.context)[:100]:
            details = entry["details"]
            rows.append(
                {
                    "when": local_time(entry["when"]),
                    "who": entry["actor_fullname"] or entry["actor"],
                    "action": translate(
                        ACTION_LABELS.get(entry["action"], entry["action"]), context=self.request
                    ),
                    "policy": details.get("policy", ""),
                    "before": details.get("before", ""),
                    "after": details.get("after", details.get("requested", "")),
                }
            )
        return rows

    def do_import(self):
        upload = self.request.form.get("configuration")
        try:
            data = json.loads(upload.read() if hasattr(upload, "read") else (upload or ""))
        except (ValueError, UnicodeDecodeError):
            self.errors = [
                "Le fichier n'est pas du JSON valable. Rien n'a été changé."
                if self.french()
                else "The file is not valid JSON. Nothing was changed."
            ]
            self.request.response.setStatus(400)
            return self.listing_template()
        try:
            import_configuration(data, portal=self.context)
        except PolicyError as error:
            self.errors = self.error_lines(error)
            self.request.response.setStatus(400)
            return self.listing_template()
        IStatusMessage(self.request).addStatusMessage(_("Configuration imported."), "info")
        self.request.response.redirect(f"{self.context.absolute_url()}/{LISTING}")
        return ""


class PoliciesExport(BrowserView):
    """``@@ccas-policies-export``: the whole configuration as a JSON file."""

    def __call__(self):
        response = self.request.response
        response.setHeader("Content-Type", "application/json; charset=utf-8")
        response.setHeader(
            "Content-Disposition", 'attachment; filename="ccas-vault-configuration.json"'
        )
        response.setHeader("Cache-Control", "private, no-store")
        return json.dumps(
            export_configuration(self.context), indent=2, ensure_ascii=False, sort_keys=True
        )
