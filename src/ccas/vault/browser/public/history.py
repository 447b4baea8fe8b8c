"""``/mon-coffre/historique``: everything done in the vault, one short sentence per line.

The same entries as the staff ``@@vault-history`` (the owner reads all of
them: :func:`ccas.vault.browser.access.history_scope`), newest first, each said
in plain words: "Claire Bernard (CCAS) a regardé « Attestation CAF »."
Reading the history is not traced.
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import clock
from ccas.vault.api import mandates
from ccas.vault.browser.access import ALL
from ccas.vault.browser.access import history_scope
from ccas.vault.browser.access import visible_entries
from ccas.vault.browser.public.owner_pages import OwnerPage
from ccas.vault.browser.views import ACTION_LABELS
from plone import api
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile


PAGE_SIZE = 50

#: action -> (sentence when the person did it, sentence when someone else did)
SENTENCES = {
    "deposit": (_("You added “${paper}”."), _("${who} added “${paper}”.")),
    "view": (_("You looked at “${paper}”."), _("${who} looked at “${paper}”.")),
    "preview": (_("You looked at “${paper}”."), _("${who} looked at “${paper}”.")),
    "download": (_("You downloaded “${paper}”."), _("${who} downloaded “${paper}”.")),
    "print": (_("You printed “${paper}”."), _("${who} printed “${paper}”.")),
    "share": (
        _("You gave a link to ${recipient}."),
        _("${who} gave a link to ${recipient} for you."),
    ),
    "unshare": (
        _("You stopped the link for ${recipient}."),
        _("${who} stopped the link for ${recipient}."),
    ),
    "certify": (_("You certified “${paper}”."), _("${who} certified “${paper}”.")),
    "certification_requested": (
        _("You asked to certify “${paper}”."),
        _("${who} asked to certify “${paper}”."),
    ),
    "certification_rejected": (
        _("You refused to certify “${paper}”."),
        _("${who} refused to certify “${paper}”."),
    ),
    "replace": (
        _("You put a new version of “${paper}”."),
        _("${who} put a new version of “${paper}”."),
    ),
    "delete": (_("You deleted “${paper}”."), _("${who} deleted “${paper}”.")),
    "consent": (
        _("You agreed to have a safe."),
        _("${who} recorded that you agree to have a safe."),
    ),
    "mandate_created": (_("You prepared a mandate."), _("${who} prepared a mandate.")),
    "connector_consent": (
        _("You agreed that the CCAS fetches a paper for you."),
        _("${who} recorded that you agree that the CCAS fetches a paper for you."),
    ),
    "connector_consent_revoked": (
        _("You withdrew your agreement: the CCAS no longer fetches this paper."),
        _("${who} withdrew your agreement: the CCAS no longer fetches this paper."),
    ),
    "mandate_revoked": (_("You stopped a mandate."), _("${who} stopped a mandate.")),
    "login": (_("You logged in."), _("${who} logged in.")),
    "open": (_("You opened your safe."), _("${who} opened your safe.")),
    "close_requested": (
        _("You asked to close your safe."),
        _("${who} asked to close your safe."),
    ),
    "close_cancelled": (_("You kept your safe."), _("${who} kept your safe open.")),
    "account_help": (
        _("You got help with your account."),
        _("${who} helped you with your account."),
    ),
    "letter_discarded": (
        _("You put aside a letter from the CCAS."),
        _("${who} put aside a letter from the CCAS."),
    ),
    "password_reset_started": (
        _("You asked for a new password."),
        _("${who} helped you to get a new password."),
    ),
    "password_changed": (
        _("You changed your password."),
        _("${who} changed your password."),
    ),
    "recovery_options_changed": (
        _("You changed how to get a new password."),
        _("${who} changed how you get a new password."),
    ),
}

#: sentences that do not depend on who did it
SYSTEM_SENTENCES = {
    "share_expired": _("The link for ${recipient} has ended."),
    "share_locked": _("Someone typed a wrong code 5 times. The link for ${recipient} is blocked."),
    "mandate_expired": _("A mandate has ended. Its end date has passed."),
    "expired": _("“${paper}” is out of date."),
    "renewed": _("“${paper}” is valid again."),
    "refused": _("A file was refused. Nothing was kept."),
    "letter_parked": _("A letter from the CCAS is waiting."),
    "letter_delivered": _("The CCAS sent you “${paper}”."),
    "closed": _("Your safe is closed."),
    "password_reset_completed": _("A new password was chosen."),
    "account_locked": _("Too many wrong tries. Your account is blocked for a while."),
    "reminder_sent": _("The safe told you that “${paper}” will soon be out of date."),
    "pdf_signed": _("“${paper}” got the electronic seal of the CCAS."),
    "pdf_signing_failed": _("The seal of the CCAS could not be put on “${paper}”."),
    "connector_delivery": _("“${paper}” was fetched for you, with your agreement."),
    "connector_failed": _("A paper could not be fetched for you. Nothing was kept."),
}

#: why the safe stopped a link (``share_stopped``, decision 0037)
STOPPED_SENTENCES = {
    "mandate_ended": _(
        "The link for ${recipient} is stopped: the mandate of the agent who made it has ended."
    ),
    "replaced": _("The link for ${recipient} is stopped: a paper was replaced by a newer version."),
    "": _("The link for ${recipient} is stopped."),
}

#: action -> icon of the skin's sprite (``#i-<name>``)
ICONS = {
    "deposit": "add",
    "view": "papers",
    "preview": "papers",
    "download": "download",
    "print": "print",
    "share": "share",
    "unshare": "close",
    "share_opened": "send",
    "share_locked": "lock",
    "share_expired": "history",
    "share_stopped": "close",
    "access_refused": "lock",
    "certify": "ok",
    "replace": "replace",
    "delete": "close",
    "mandate_created": "people",
    "mandate_signed": "people",
    "mandate_revoked": "people",
    "mandate_expired": "people",
    "login": "login",
    "letter_delivered": "send",
    "close_requested": "warn",
    "close_cancelled": "back",
    "account_help": "account",
    "password_reset_started": "lock",
    "password_reset_completed": "lock",
    "password_changed": "lock",
    "account_locked": "lock",
    "recovery_options_changed": "account",
    "reminder_sent": "warn",
    "pdf_signed": "ok",
    "connector_consent": "people",
    "connector_consent_revoked": "close",
    "connector_delivery": "send",
    "connector_failed": "warn",
}


def _organisation_title(organisation_id):
    if not organisation_id:
        return ""
    from ccas.vault.organisations import get_organisation

    organisation = get_organisation(organisation_id)
    return organisation.title if organisation is not None else organisation_id


class HistoryPage(OwnerPage):
    """``coffre-historique``: the vault's history, newest first, in plain words."""

    section = "historique"
    template = ViewPageTemplateFile("templates/historique.pt")

    def update(self):
        if history_scope(self.vault) != ALL:
            raise Unauthorized("Only the owner reads the whole history here")
        return None

    def _owner_id(self):
        user = api.user.get(username=self.vault.owner_login)
        return user.getId() if user is not None else self.vault.owner_login

    def _who(self, entry):
        """``Claire Bernard (CCAS)``: the organisation recorded, else the agent's own."""
        name = entry.actor_fullname or entry.actor
        relation = self._relations.get(entry.actor)
        if relation:  # a relative the person named (decision 0049): "Marc Dupont (mon fils)"
            return f"{name} ({relation})"
        organisation = _organisation_title(entry.organisation)
        if not organisation and entry.actor not in self._no_organisation:
            organisation = self._organisation_of(entry.actor)
        return f"{name} ({organisation})" if organisation else name

    def _organisation_of(self, user_id):
        if user_id not in self._organisations:
            from ccas.vault.organisations import organisation_of

            user = api.user.get(userid=user_id)
            found = organisation_of(user) if user is not None else None
            self._organisations[user_id] = found.title if found is not None else ""
        return self._organisations[user_id]

    def _recipient(self, entry):
        recipient = entry.details.get("recipient")
        if recipient:
            return recipient
        link = self.vault.get(entry.details.get("link", ""))
        return getattr(link, "recipient", "") or self.translate(_("someone"))

    def _paper(self, entry):
        if entry.target_title:
            return entry.target_title
        documents = entry.details.get("documents", "").split()
        if len(documents) == 1:
            return self.translate(_("1 paper"))
        if documents:
            return self.translate(_("${count} papers", mapping={"count": len(documents)}))
        return self.translate(_("a paper"))

    def sentence(self, entry, owner_id):
        action = entry.action
        mapping = {
            "who": self._who(entry),
            "paper": self._paper(entry),
            "recipient": "",
        }
        if action in (
            "share",
            "unshare",
            "share_opened",
            "share_expired",
            "share_locked",
            "share_stopped",
        ):
            mapping["recipient"] = self._recipient(entry)
        by_person = entry.actor == owner_id
        if action == "download" and entry.details.get("what") == "export":
            message = (
                _("You downloaded all your papers.")
                if by_person
                else _("${who} downloaded all your papers.")
            )
        elif action == "share_opened":
            documents = entry.details.get("documents", "").split()
            message = (
                _("${recipient} opened your link and downloaded “${paper}”.")
                if len(documents) <= 1
                else _("${recipient} opened your link and downloaded ${count} papers.")
            )
            mapping["count"] = len(documents)
        elif action == "mandate_signed":
            if entry.details.get("signer") == "person":
                message = (
                    _("You signed a mandate.")
                    if entry.details.get("method") != "paper"
                    else _("${who} added the mandate form you signed on paper.")
                )
            else:
                message = _("${who} signed the mandate.")
        elif action == "mandate_revoked" and entry.details.get("withdrawn"):
            message = _("${who} left a mandate.")
        elif action == "share_stopped":
            message = STOPPED_SENTENCES.get(entry.details.get("why"), STOPPED_SENTENCES[""])
        elif action == "access_refused" or (
            action == "refused" and entry.details.get("url") and not entry.details.get("filename")
        ):  # a page refused to someone (old entries were "refused", like a refused file)
            message = _("${who} could not open a page of your safe: access refused.")
        elif action == "connector_delivery" and entry.details.get("partner"):
            # a partner's drop folder (decision 0055): the partner is named
            message = _("${source}, a partner of the CCAS, sent you “${paper}”.")
            mapping["source"] = entry.details.get("source") or entry.details["partner"]
        elif action in SYSTEM_SENTENCES:
            message = SYSTEM_SENTENCES[action]
        elif action in SENTENCES:
            message = SENTENCES[action][0 if by_person else 1]
        else:
            label = self.translate(ACTION_LABELS.get(action, action))
            message = _("${who}: ${action}.", mapping={"action": label})
            mapping["action"] = label
        if entry.actor == clock.CLOCK_ACTOR and action not in SYSTEM_SENTENCES:
            mapping["who"] = self.translate(_("The safe"))
        sentence = self.translate(_(str(message), mapping=mapping))
        # French typography: no line break inside « … »
        return sentence.replace("« ", "«\u00a0").replace(" »", "\u00a0»")

    def rows(self):
        owner_id = self._owner_id()
        self._organisations = {}
        self._no_organisation = {owner_id, clock.CLOCK_ACTOR, ""}
        self._relations = mandates.relations_of(self.vault)
        entries = list(reversed(visible_entries(self.vault, ALL)))
        self.total = len(entries)
        if not self.request.form.get("tout"):
            entries = entries[:PAGE_SIZE]
        rows = []
        for entry in entries:
            rows.append(
                {
                    "when": self.moment(entry.when),
                    "when_iso": entry.when,
                    "sentence": self.sentence(entry, owner_id),
                    "icon": ICONS.get(entry.action, "history"),
                    "action": entry.action,
                    "mine": entry.actor == owner_id,
                }
            )
        return rows

    def more_url(self):
        return self.url("historique", tout="1")
