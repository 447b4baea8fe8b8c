"""@@courriers-en-attente: the GED letters waiting for a vault, for CCAS agents.

Agents see the reference, the person key, the type, the date and why the
letter waits — never its file nor its title: it is a person's letter and they
hold no mandate.  They search the letters (GED reference or person id, the
person's name when the letter's vault is known, a date), page through them
(50 a page), discard a letter with a reason (traced), and match the letters of
an unknown GED person id to a vault found by name and date of birth (decision
0046): the id is added to the vault and its letters delivered.
"""

from ccas.vault import _
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.browser.access import NO_STORE
from ccas.vault.document_types import label
from ccas.vault.history import api as history
from ccas.vault.letters import matching
from ccas.vault.letters import parking
from ccas.vault.letters import persons
from datetime import date
from datetime import datetime
from plone import api
from plone.protect import CheckAuthenticator
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from urllib.parse import urlencode
from zope.i18n import translate


REASON_LABELS = {
    "unknown_person": _("No vault for this person"),
    "ambiguous_person": _("Several vaults have this GED person id"),
    "vault_not_open": _("The vault is not open yet"),
    "no_letter_consent": _("The person did not accept the CCAS's letters"),
    # a partner's paper (decision 0055)
    "no_connector_consent": _("The person did not accept the partners' papers"),
}
STATE_LABELS = {
    "awaiting_consent": _("waiting for the person's consent"),
    "open": _("open"),
    "closing": _("closing"),
    "closed": _("closed"),
}
DISCARDED = _("The letter was discarded.")
RECENT_DISCARDS = 20
PAGE_SIZE = 50


def _french_moment(iso):
    return datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M") if iso else ""


def _french_date(value):
    return value.strftime("%d/%m/%Y") if value else ""


def _string(form, name):
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _date(text):
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


class ParkedLettersView(BrowserView):
    """The table of parked letters (searched, paged), a discard form per letter, matching."""

    template = ViewPageTemplateFile("templates/parked_letters.pt")
    page_size = PAGE_SIZE

    def __call__(self):
        parking.check_may_manage_parked()  # partner agents hold the permission, not the right
        self.request.response.setHeader("Cache-Control", NO_STORE)
        self.message = None
        self.error = None
        form = self.request.form
        post = self.request.get("REQUEST_METHOD") == "POST"
        if post:
            CheckAuthenticator(self.request)
        if post and form.get("discard"):
            self.discard()
        self.matching = self._matching_id()
        if self.matching:
            self.found = None
            if post and form.get("match"):
                self.message = self.match()
            elif form.get("find"):
                self.find()
            if not self.message:
                return self.template()
            self.matching = ""
        self.text = _string(form, "q")[:200]
        self.on_text = _string(form, "date")
        self.on = _date(self.on_text)
        if self.on_text and self.on is None:
            self.error = self._t(_("Write the date as 23/11/2026."))
        letters = matching.search(self.text, self.on)
        self.total = len(letters)
        self.pages = max(1, -(-self.total // PAGE_SIZE))
        try:
            self.page = min(max(int(_string(form, "page") or 1), 1), self.pages)
        except ValueError:
            self.page = 1
        start = (self.page - 1) * PAGE_SIZE
        self.items = [self._row(item) for item in letters[start : start + PAGE_SIZE]]
        self.first = start + 1 if self.items else 0
        self.last = start + len(self.items)
        self.discarded = self._recent_discards()
        return self.template()

    def _t(self, message):
        return translate(message, context=self.request)

    def url(self, **query):
        base = f"{self.context.absolute_url()}/@@courriers-en-attente"
        query = {key: value for key, value in query.items() if value}
        return f"{base}?{urlencode(query)}" if query else base

    def page_url(self, number):
        return self.url(q=self.text, date=self.on_text, page=number if number > 1 else None)

    def pages_label(self):
        return self._t(_("Pages of the waiting letters"))

    def page_links(self):
        """The batch navigation: every page near the current one, the first and the last."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        return [
            {"number": n, "url": self.page_url(n), "current": n == self.page}
            for n in sorted(wanted)
            if 1 <= n <= self.pages
        ]

    # --- discarding -------------------------------------------------------------------

    def discard(self):
        reference = self.request.form.get("ged_reference", "")
        reason = self.request.form.get("reason", "")
        try:
            parking.discard(
                reference if isinstance(reference, str) else "",
                reason if isinstance(reason, str) else "",
            )
        except VaultError as error:
            self.error = error.message_fr
            return
        self.message = self._t(DISCARDED)

    # --- the table --------------------------------------------------------------------

    def _row(self, item):
        person = item["person"]
        key, value = next(iter(person.items()))
        unknown = key != "vault" and item["reason"] == persons.UNKNOWN_PERSON
        return {
            "ged_reference": item["ged_reference"],
            "person": f"{'Coffre' if key == 'vault' else 'GED'} {value}",
            "names": ", ".join(item["names"]),
            "document_type": label(item["document_type"]) or item["document_type"],
            "issued": date.fromisoformat(item["issued"]).strftime("%d/%m/%Y")
            if item["issued"]
            else "",
            "parked_at": _french_moment(item["parked_at"]),
            "reason": self._t(REASON_LABELS.get(item["reason"], item["reason"])),
            "match_url": self.url(rattacher=value) if unknown else "",
        }

    def _recent_discards(self):
        entries = [e for e in history.entries(vault_directory()) if e.action == "letter_discarded"]
        return [
            {
                "ged_reference": entry.details.get("ged_reference", ""),
                "when": _french_moment(entry.when),
                "by": entry.actor_fullname or entry.actor,
                "reason": entry.details.get("reason", ""),
            }
            for entry in reversed(entries[-RECENT_DISCARDS:])
        ]

    # --- matching a GED person id to a vault (decision 0046) ----------------------------

    def _matching_id(self):
        ged_id = _string(self.request.form, "rattacher")[: matching.MAX_GED_ID]
        if not ged_id:
            return ""
        self.waiting = matching.waiting_for(ged_id)
        if not self.waiting:
            self.error = self._t(_("No letter waits under this GED person id any more."))
            return ""
        return ged_id

    def value(self, name):
        return _string(self.request.form, name)

    def find(self):
        form = self.request.form
        born = _date(_string(form, "birth_date"))
        if not (_string(form, "last_name") and _string(form, "first_name") and born):
            self.error = self.error or self._t(
                _("Write the person's last name, first name and date of birth, as in the GED.")
            )
            return
        self.found = [
            {
                "id": vault.getId(),
                "name": f"{vault.first_name} {vault.last_name}",
                "birth_date": _french_date(vault.birth_date),
                "state": self._t(STATE_LABELS.get(state, state)),
                "open": state == "open",
                "letters": bool(vault.receive_ccas_letters),
            }
            for vault in matching.find_person(
                _string(form, "last_name"), _string(form, "first_name"), born
            )
            for state in (api.content.get_state(vault),)
        ]

    def match(self):
        form = self.request.form
        if not form.get("checked"):
            self.error = self._t(
                _("Tick the box once you checked in the GED that this id is this person's.")
            )
            self.find()
            return None
        vault = vault_directory().get(_string(form, "vault"))
        try:
            delivered, waiting = matching.match(self.matching, vault)
        except VaultError as error:
            self.error = error.message_fr
            self.find()
            return None
        mapping = {"count": delivered, "ged": self.matching, "name": vault.display_name}
        if waiting:
            mapping["count"] = waiting
            return self._t(
                _(
                    "The GED id ${ged} is matched to ${name}. The waiting letters (${count}) "
                    "arrive once the person accepts the CCAS's letters.",
                    mapping=mapping,
                )
            )
        return self._t(
            _(
                "The GED id ${ged} is matched to ${name}: letters delivered in “Courrier du "
                "CCAS”: ${count}.",
                mapping=mapping,
            )
        )
