"""Recompute the validity of the papers already stored of one type (issue 20, item 8).

A type's validity applies to new papers; this offers the records manager to apply it
to the papers already stored, in two steps: a preview (numbers only) then the change.

Which papers: every paper of the type that is not replaced (deposited, certified or
expired) and has an issue date, whose end of validity is the type's rule (a whole
number of months after the issue date) or empty.  A paper whose end date was typed
otherwise, or without an issue date, keeps its date (counted apart).  The new end is
``issued + validity`` (none when the type no longer expires); then the clock's rule
applies at once: past its end it becomes *expired* (unless the "flag only" workflow
policy is on), back within it an expired paper is valid again.

Traced: each vault with a changed paper gets one ``validity_recomputed`` history entry
(type, papers changed, expired, valid again), made by the records manager.  Nothing
but counts leaves this module: no paper title, no person's name.
"""

from ccas.vault.clock import paris_now
from ccas.vault.clock import VALID_STATES
from ccas.vault.document_types import add_months
from ccas.vault.document_types import get_document_type
from ccas.vault.security import as_system
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from plone import api


MAX_MONTHS = 1200


@dataclass
class Plan:
    """What recomputing a type would change: counts, and the changes themselves."""

    type_id: str
    papers: int = 0  # papers of the type (not replaced)
    unchanged: int = 0  # already at the rule's date
    kept: int = 0  # no issue date, or an end date typed otherwise: left alone
    expiring: int = 0  # changed and past their new end: become expired
    renewing: int = 0  # expired and within their new end: valid again
    vaults: int = 0  # vaults with at least one change
    changes: list = field(default_factory=list, repr=False)  # (paper, new end, transition)

    @property
    def changed(self):
        return len(self.changes)


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _follows_a_rule(issued, valid_until):
    """Is ``valid_until`` empty, or a whole number of months after ``issued``?"""
    if valid_until is None:
        return True
    if valid_until <= issued:
        return False
    months = (valid_until.year - issued.year) * 12 + valid_until.month - issued.month
    return 0 < months <= MAX_MONTHS and add_months(issued, months) == valid_until


def _papers(type_id):
    catalog = api.portal.get_tool("portal_catalog")
    brains = catalog.unrestrictedSearchResults(
        portal_type="VaultDocument", review_state=[*VALID_STATES, "expired"]
    )
    for brain in brains:
        paper = brain._unrestrictedGetObject()
        if getattr(paper, "document_type", None) == type_id:
            yield paper


def plan(type_id, today=None):
    """The :class:`Plan` of ``type_id`` with its current validity (``today``: the clock's)."""
    from ccas.vault.lookup import vault_of
    from ccas.vault.policies.expiry import flag_only

    info = get_document_type(type_id)
    if info is None:
        raise KeyError(type_id)
    today = today or paris_now().date()
    flag = flag_only()
    found = Plan(type_id)
    vaults = set()
    with as_system():
        for paper in _papers(type_id):
            found.papers += 1
            issued = _as_date(getattr(paper, "issued", None))
            current = _as_date(getattr(paper, "valid_until", None))
            if issued is None or not _follows_a_rule(issued, current):
                found.kept += 1
                continue
            new = add_months(issued, info.validity_months) if info.validity_months else None
            if new == current:
                found.unchanged += 1
                continue
            state = api.content.get_state(paper)
            past = new is not None and new < today
            transition = None
            if state in VALID_STATES and past and not flag:
                transition = "expire"
                found.expiring += 1
            elif state == "expired" and not past:
                transition = "renew_certified" if paper.certification else "renew"
                found.renewing += 1
            found.changes.append((paper, new, transition))
            vaults.add(vault_of(paper).UID())
    found.vaults = len(vaults)
    return found


def apply(type_id, actor=None, today=None):
    """Recompute now; return the :class:`Plan` applied.  One history entry per vault."""
    from ccas.vault.history import api as history
    from ccas.vault.lookup import vault_of

    done = plan(type_id, today)
    actor = actor or api.user.get_current()
    by_vault = {}
    with as_system():
        for paper, new, transition in done.changes:
            paper.valid_until = new
            if transition:
                api.content.transition(obj=paper, transition=transition)
            paper.reindexObject()
            vault = vault_of(paper)
            counts = by_vault.setdefault(vault.UID(), [vault, 0, 0, 0])
            counts[1] += 1
            counts[2] += transition == "expire"
            counts[3] += transition in ("renew", "renew_certified")
        for vault, changed, expired, renewed in by_vault.values():
            history.record(
                vault,
                "validity_recomputed",
                actor=actor,
                details={
                    "type": type_id,
                    "papers": str(changed),
                    "expired": str(expired),
                    "renewed": str(renewed),
                },
            )
    return done
