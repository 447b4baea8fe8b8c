"""Policy ``expiry-flag-only``: papers past their date keep their state and show a badge.

Default rule: the clock moves papers past their "valid until" date to
*expired*.  With this policy on, the ``expire`` transition leaves the
*deposited* and *certified* states of the document workflow (DCWorkflow API),
papers already *expired* become valid again (their badge still says
"expired"), and the clock stops expiring.  Switching it off puts the
transition back and expires at once the papers past their date.
"""

from ccas.vault import _
from ccas.vault.policies import registry
from ccas.vault.policies.base import RegistryPolicy
from plone import api


POLICY_ID = "expiry-flag-only"
WORKFLOW = "ccas_vault_document_workflow"
TRANSITION = "expire"
FROM_STATES = ("deposited", "certified")


def flag_only():
    """True when papers past their date are only flagged (the policy is on)."""
    return registry.stored_state(POLICY_ID)[0]


def _workflow():
    return api.portal.get_tool("portal_workflow").getWorkflowById(WORKFLOW)


def _set_exit(present):
    workflow = _workflow()
    if TRANSITION not in workflow.transitions.objectIds():
        return
    for state_id in FROM_STATES:
        state = workflow.states[state_id]
        exits = [t for t in state.transitions if t != TRANSITION]
        if present:  # where the profile has it: before "supersede"
            at = exits.index("supersede") if "supersede" in exits else len(exits)
            exits.insert(at, TRANSITION)
        exits = tuple(exits)
        if tuple(state.transitions) != exits:
            state.transitions = exits


def _documents(portal, states):
    return portal.portal_catalog.unrestrictedSearchResults(
        portal_type="VaultDocument", review_state=list(states)
    )


def _past_due(portal):
    from ccas.vault.clock import _as_date
    from ccas.vault.clock import paris_now

    today = paris_now().date()
    count = 0
    for brain in _documents(portal, FROM_STATES):
        valid_until = _as_date(brain._unrestrictedGetObject().valid_until)
        count += valid_until is not None and valid_until < today
    return count


class ExpiryFlagOnly(RegistryPolicy):
    id = POLICY_ID
    title = _("Papers past their date are only flagged")
    description = _(
        "Papers whose validity date is past keep their state and show an "
        '"expired" badge, instead of moving to the "expired" state at night. '
        "Reminder delays are set per document type."
    )
    options = ()

    def _apply(self, portal, options):
        from ccas.vault.clock import CLOCK_ACTOR
        from ccas.vault.history import api as history
        from ccas.vault.lookup import vault_of

        _set_exit(False)
        for brain in _documents(portal, ("expired",)):
            document = brain._unrestrictedGetObject()
            renew = "renew_certified" if document.certification else "renew"
            api.content.transition(obj=document, transition=renew)
            history.record(
                vault_of(document),
                "renewed",
                actor=CLOCK_ACTOR,
                target=document,
                details={"policy": POLICY_ID},
            )

    def _revert(self, portal):
        from ccas.vault.clock import expire_documents

        _set_exit(True)
        registry.store_state(POLICY_ID, False, {})
        expire_documents(portal)

    def _preview(self, portal, active, options):
        if active:
            return {"objects": len(_documents(portal, ("expired",)))}
        return {"objects": _past_due(portal)}


policy = ExpiryFlagOnly()
