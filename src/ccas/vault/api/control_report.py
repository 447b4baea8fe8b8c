"""Control reports: what the agents of a mandate did in the vault, checked afterwards.

Every history entry whose actor is an agent of the mandate (all time) is
matched against the mandate:

* ``within`` — the action is allowed by one of the mandate's scopes and it
  happened within the mandate's dates (Europe/Paris days, both inclusive) and
  before the mandate ended (revoked, withdrawn, expired);
* ``outside`` — anything else done by the agent in the vault;
* ``refused`` — an attempt the access layer refused (``refused`` entries,
  see ``ccas.vault.refusals``): always flagged.

Signing or withdrawing from the mandate (``mandate_signed`` /
``mandate_revoked`` by the agent themself) is always ``within``.

Who reads it: the vault's owner (``Read history``) with the papers' titles,
or a records manager (global ``RecordsManager`` role), who never reads vault
content: they get the papers' opaque ids (UIDs) instead of their titles.
Anybody else — Manager included — gets ``Unauthorized``.
"""

from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault import scopes as scope_names
from ccas.vault.api.mandates import _may_certify
from ccas.vault.api.mandates import mandates_of
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from datetime import datetime
from plone import api
import csv
import io


WITHIN = "within"
OUTSIDE = "outside"
REFUSED = "refused"
FLAGGED = (OUTSIDE, REFUSED)

#: history action -> the scope that allows it
ACTION_SCOPES = {
    "view": scope_names.CONSULT,
    "preview": scope_names.CONSULT,
    "download": scope_names.EXTRACT,
    "print": scope_names.EXTRACT,
    "deposit": scope_names.DEPOSIT,
    "replace": scope_names.DEPOSIT,
    "certify": scope_names.DEPOSIT,  # and the organisation may certify
    "share": scope_names.SHARE,
    "unshare": scope_names.SHARE,
    "account_help": scope_names.ACCOUNT,
}
#: actions on the mandate itself, always within when the agent does them
OWN_MANDATE_ACTIONS = ("mandate_signed", "mandate_revoked")

CSV_HEADERS = ("Date", "Agent", "Organisme", "Action", "Papier", "Conformité")
CSV_STATUS = {WITHIN: "conforme", OUTSIDE: "hors mandat", REFUSED: "refusé"}

OWNER = "owner"
RECORDS_MANAGER = "records_manager"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def reader_kind(vault):
    """``"owner"``, ``"records_manager"`` or ``None`` for the current user on ``vault``."""
    if api.user.is_anonymous():
        return None
    user = api.user.get_current()
    if api.user.has_permission(
        permissions.READ_HISTORY, obj=vault
    ) and user.getUserName() == getattr(vault, "owner_login", None):
        return OWNER
    if roles.RECORDS_MANAGER in (user.getRoles() or ()):
        return RECORDS_MANAGER
    return None


def check_reader(vault):
    """The reader kind, or ``Unauthorized``."""
    kind = reader_kind(vault)
    if kind is None:
        raise Unauthorized("Reading the control report of this vault is not allowed")
    return kind


def _paris_date(when):
    try:
        return datetime.fromisoformat(when).astimezone(clock.PARIS).date()
    except (TypeError, ValueError):
        return None


def _ended_at(mandate):
    ended = getattr(mandate, "ended", None)
    if not ended or not ended.get("when"):
        return None
    try:
        return datetime.fromisoformat(ended["when"])
    except (TypeError, ValueError):
        return None


def covered_by(entry, mandate):
    """True when ``mandate`` allows what ``entry`` records, when it happened."""
    agent = entry.actor
    if agent not in (mandate.agents or ()) and agent not in (mandate.organisations or {}):
        return False
    if entry.action in OWN_MANDATE_ACTIONS:
        return entry.target_uid == (mandate.UID() or "")
    scope = ACTION_SCOPES.get(entry.action)
    if scope is None or scope not in (mandate.scopes or ()):
        return False
    if entry.action == "certify":
        organisation = (mandate.organisations or {}).get(agent, "")
        if not _may_certify(organisation):
            return False
    day = _paris_date(entry.when)
    if day is None or mandate.start is None or day < mandate.start:
        return False
    if mandate.end is not None and day > mandate.end:
        return False
    ended = _ended_at(mandate)
    if ended is not None:
        try:
            if datetime.fromisoformat(entry.when) > ended:
                return False
        except (TypeError, ValueError):
            return False
    return True


REFUSAL_ACTIONS = ("refused", "access_refused")


def status_of(entry, mandates):
    if entry.action in REFUSAL_ACTIONS:
        return REFUSED
    if any(covered_by(entry, mandate) for mandate in mandates):
        return WITHIN
    return OUTSIDE


def _agents_of(mandate):
    """Agents named now, and those who withdrew (kept in ``organisations``)."""
    return list(dict.fromkeys([*(mandate.agents or ()), *(mandate.organisations or {})]))


def _rows(vault, mandates, kind):
    organisation_of_agent = {}
    for mandate in mandates:
        for agent in _agents_of(mandate):
            # a relative (personal mandate, decision 0049) has no organisation: their relation
            organisation_of_agent.setdefault(
                agent,
                (mandate.organisations or {}).get(agent, "") or getattr(mandate, "relation", ""),
            )
    rows = []
    for entry in history.entries(vault):
        if entry.actor not in organisation_of_agent:
            continue
        status = status_of(entry, mandates)
        if entry.action in REFUSAL_ACTIONS:
            paper = dict(entry.details).get("url", "")
        elif kind == OWNER:
            paper = entry.target_title or entry.target_uid
        else:
            paper = entry.target_uid
        rows.append(
            {
                "seq": entry.seq,
                "when": entry.when,
                "agent": entry.actor,
                "agent_fullname": entry.actor_fullname,
                "organisation": entry.organisation or organisation_of_agent[entry.actor],
                "action": entry.action,
                "paper": paper,
                "status": status,
                "flagged": status in FLAGGED,
            }
        )
    return rows


def mandate_report(mandate):
    """Rows for every action of the mandate's agents in its vault (see module)."""
    vault = vault_of(mandate)
    kind = check_reader(vault)
    return _rows(vault, [mandate], kind)


def organisation_report(organisation_id, vault):
    """Rows over every mandate in ``vault`` naming an agent of ``organisation_id``.

    Only those agents' actions are listed; an action is ``within`` when one of
    the organisation's mandates naming its agent allows it.
    """
    kind = check_reader(vault)
    found = [
        mandate
        for mandate in mandates_of(vault)
        if organisation_id in (mandate.organisations or {}).values()
    ]
    agents = {
        agent
        for mandate in found
        for agent, organisation in (mandate.organisations or {}).items()
        if organisation == organisation_id
    }
    return [row for row in _rows(vault, found, kind) if row["agent"] in agents]


def _cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def report_csv(rows):
    """The rows as CSV text, French headers, Europe/Paris dates."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    for row in rows:
        try:
            when = (
                datetime.fromisoformat(row["when"])
                .astimezone(clock.PARIS)
                .strftime("%d/%m/%Y %H:%M:%S")
            )
        except (TypeError, ValueError):
            when = row["when"]
        writer.writerow(
            [
                _cell(value)
                for value in (
                    when,
                    row["agent"],
                    row["organisation"],
                    row["action"],
                    row["paper"],
                    CSV_STATUS.get(row["status"], row["status"]),
                )
            ]
        )
    return out.getvalue()
