"""The ``four-eyes-certification`` workflow policy: a second agent validates each certification.

Applied at runtime by the DCWorkflow API on ``ccas_vault_document_workflow``
(the profile keeps the default rules; see
``docs/decisions/0013-four-eyes-certification.md``):

* a state ``pending_certification``, with the permissions of *deposited*
  except ``Modify portal content``, which nobody holds (a paper awaiting
  validation is not changed under the validator's eyes; the owner may still
  delete it, as in every state);
* transitions ``request_certification`` (*deposited* → *pending*),
  ``validate_certification`` (*pending* → *certified*) and
  ``reject_certification`` (*pending* → *deposited*), guarded by
  ``Certify document`` and by expressions calling
  :mod:`ccas.vault.certification.four_eyes` (another agent of the same
  organisation);
* ``certify`` stays an exit of *deposited* only for the letters of the CCAS
  GED (its guard gets an expression only ``certify_ged_letter`` passes): the
  GED is not a person and cannot be a second pair of eyes.

Reverting sends the papers awaiting validation back to *deposited* (traced
"certification request cancelled (policy switched off)"), removes the state
and the transitions and restores the ``certify`` guard.  Both are idempotent.
"""

from Acquisition import aq_chain
from ccas.vault import _
from ccas.vault import permissions
from ccas.vault.certification import four_eyes
from ccas.vault.certification.four_eyes import PENDING
from ccas.vault.certification.four_eyes import REJECT
from ccas.vault.certification.four_eyes import REQUEST
from ccas.vault.certification.four_eyes import VALIDATE
from ccas.vault.certification.four_eyes import WORKFLOW_ID
from ccas.vault.policies.interfaces import IWorkflowPolicy
from ccas.vault.security import as_system
from plone import api
from Products.DCWorkflow.Guard import Guard
from Products.DCWorkflow.Transitions import TRIGGER_USER_ACTION
from zope.interface import implementer


MODULE = "ccas.vault.certification.four_eyes"
GED_ONLY = f"python:modules['{MODULE}'].direct_certification_allowed(here)"
VALIDATE_GUARD = f"python:modules['{MODULE}'].may_validate(here)"
REJECT_GUARD = f"python:modules['{MODULE}'].may_reject(here)"
#: Permissions nobody holds on a paper awaiting validation (all others: as in *deposited*).
FROZEN = ("Modify portal content",)

#: id -> (title, from state, new state, guard expression)
TRANSITIONS = {
    REQUEST: ("Ask for certification", "deposited", PENDING, ""),
    VALIDATE: ("Validate the certification", PENDING, "certified", VALIDATE_GUARD),
    REJECT: ("Refuse the certification", PENDING, "deposited", REJECT_GUARD),
}
PENDING_EXITS = (VALIDATE, REJECT, "expire", "supersede")


def _workflow(portal):
    return portal.portal_workflow.getWorkflowById(WORKFLOW_ID)


def _pending_mapping(workflow):
    """``{permission: (acquired, roles)}`` of *pending_certification*."""
    deposited = workflow.states["deposited"]
    mapping = {}
    for permission in workflow.permissions:
        info = deposited.getPermissionInfo(permission)
        if permission in FROZEN:
            mapping[permission] = (False, ())
        else:
            mapping[permission] = (bool(info["acquired"]), tuple(sorted(info["roles"])))
    return mapping


def _brains(portal, **query):
    catalog = portal.portal_catalog
    return catalog.unrestrictedSearchResults(portal_type="VaultDocument", **query)


def _in_shared_space(document):
    from ccas.vault.content.spaces import ISharedSpace

    return any(ISharedSpace.providedBy(obj) for obj in aq_chain(document))


def _pending_documents(portal):
    documents = [brain._unrestrictedGetObject() for brain in _brains(portal, review_state=PENDING)]
    workflow = portal.portal_workflow
    # The catalog may lag: keep only the papers really in the state.
    return [doc for doc in documents if workflow.getInfoFor(doc, "review_state", None) == PENDING]


@implementer(IWorkflowPolicy)
class FourEyesCertification:
    id = "four-eyes-certification"
    title = _("Four-eyes certification")
    description = _(
        "A paper becomes certified only when a second agent of the same organisation "
        "validates the certification asked for by a first one. Adds the state "
        "'pending certification' to the papers' workflow. Letters of the CCAS GED stay "
        "certified at once. Switching it off sends the papers awaiting validation back "
        "to 'deposited'."
    )
    options = ()

    def is_active(self, portal):
        workflow = _workflow(portal)
        return workflow is not None and PENDING in workflow.states.objectIds()

    # -- preview ---------------------------------------------------------------

    def preview(self, portal, active=True, **options):
        workflow = _workflow(portal)
        mapping = _pending_mapping(workflow)
        on = self.is_active(portal)
        changes = {"states": [], "transitions": [], "permissions": [], "objects": 0, "settings": {}}
        if active and not on:
            changes["states"] = [f"+ {PENDING}"]
            changes["transitions"] = [f"+ {tid}" for tid in TRANSITIONS] + [
                "certify: CCAS GED letters only"
            ]
            changes["permissions"] = [
                (PENDING, permission, (), roles)
                for permission, (_acquired, roles) in sorted(mapping.items())
                if roles
            ]
            changes["objects"] = sum(
                1
                for brain in _brains(portal, review_state="deposited")
                if _in_shared_space(brain._unrestrictedGetObject())
            )
        elif not active and on:
            state = workflow.states[PENDING]
            changes["states"] = [f"- {PENDING}"]
            changes["transitions"] = [f"- {tid}" for tid in TRANSITIONS] + [
                "certify: every certifier again"
            ]
            changes["permissions"] = [
                (PENDING, permission, tuple(sorted(info["roles"])), ())
                for permission in workflow.permissions
                for info in [state.getPermissionInfo(permission)]
                if info["roles"]
            ]
            changes["objects"] = len(_pending_documents(portal))
        return changes

    # -- apply / revert --------------------------------------------------------

    def apply(self, portal, **options):
        workflow = _workflow(portal)
        if PENDING not in workflow.states.objectIds():
            workflow.states.addState(PENDING)
        state = workflow.states[PENDING]
        state.setProperties(
            title="Pending certification",
            description="Awaiting the validation of a second agent of the same organisation.",
            transitions=PENDING_EXITS,
        )
        for permission, (acquired, roles) in _pending_mapping(workflow).items():
            state.setPermission(permission, acquired, roles)
        for tid, (title, _source, new_state, expression) in TRANSITIONS.items():
            if tid not in workflow.transitions.objectIds():
                workflow.transitions.addTransition(tid)
            props = {"guard_permissions": permissions.CERTIFY}
            if expression:
                props["guard_expr"] = expression
            workflow.transitions[tid].setProperties(
                title=title,
                new_state_id=new_state,
                trigger_type=TRIGGER_USER_ACTION,
                actbox_name=title,
                actbox_url="",
                actbox_category="workflow",
                props=props,
            )
        deposited = workflow.states["deposited"]
        if REQUEST not in deposited.transitions:
            deposited.transitions = (*deposited.transitions, REQUEST)
        certify = workflow.transitions["certify"]
        guard = certify.guard
        if guard is None:
            certify.guard = guard = Guard()
            guard.changeFromProperties({"guard_permissions": permissions.CERTIFY})
        if guard.getExprText() != GED_ONLY:
            guard.changeFromProperties({"guard_expr": GED_ONLY})
            certify.guard = guard  # a persistent change of the transition too

    def revert(self, portal):
        workflow = _workflow(portal)
        if PENDING in workflow.states.objectIds():
            with as_system():
                for document in _pending_documents(portal):
                    api.content.transition(
                        obj=document,
                        transition=REJECT,
                        comment=four_eyes.CANCELLED,
                        policy_off=True,
                    )
        deposited = workflow.states["deposited"]
        if REQUEST in deposited.transitions:
            deposited.transitions = tuple(t for t in deposited.transitions if t != REQUEST)
        for state in workflow.states.objectValues():
            if any(t in TRANSITIONS for t in state.transitions):
                state.transitions = tuple(t for t in state.transitions if t not in TRANSITIONS)
        present = [tid for tid in TRANSITIONS if tid in workflow.transitions.objectIds()]
        if present:
            workflow.transitions.deleteTransitions(present)
        if PENDING in workflow.states.objectIds():
            workflow.states.deleteStates([PENDING])
        certify = workflow.transitions["certify"]
        guard = certify.guard
        if guard is not None and guard.getExprText() == GED_ONLY:
            guard.expr = None
            certify.guard = guard
