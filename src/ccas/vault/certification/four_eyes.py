"""Four-eyes certification: one agent asks, a second agent of the same organisation validates.

Only while the ``four-eyes-certification`` workflow policy is on
(:mod:`ccas.vault.policies.four_eyes`): the document workflow then has a
*pending_certification* state and three transitions,

* ``request_certification`` (*deposited* → *pending_certification*): an agent
  holding ``Certify document`` asks; the request (who, organisation, when) is
  kept on the paper (``certification_request``) and traced
  (``certification_requested``);
* ``validate_certification`` (*pending_certification* → *certified*): a
  *different* agent of the *same* certifying organisation validates; only then
  is the paper sealed (:func:`ccas.vault.subscribers.record_certification`),
  and the seal names both agents;
* ``reject_certification`` (*pending_certification* → *deposited*): an agent of
  the same organisation (the requester included, to withdraw) refuses, with a
  reason, traced (``certification_rejected``).

The rule "another agent of the same organisation" is checked here, in Python,
by every route (``@certify``, ``@workflow/...``, ``@@certify``), and again by
the transitions' guard expressions, which call :func:`may_validate` /
:func:`may_reject` (declared public below for the guard's restricted Python).
"""

from AccessControl import getSecurityManager
from AccessControl.SecurityInfo import ModuleSecurityInfo
from AccessControl.users import system
from Acquisition import aq_base
from ccas.vault import permissions
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from ccas.vault.security import check_permission
from datetime import datetime
from datetime import UTC
from persistent.mapping import PersistentMapping
from plone import api


WORKFLOW_ID = "ccas_vault_document_workflow"
PENDING = "pending_certification"
REQUEST = "request_certification"
VALIDATE = "validate_certification"
REJECT = "reject_certification"
#: Longest reason kept in the history.
MAX_REASON = 500

ModuleSecurityInfo("ccas.vault.certification.four_eyes").declarePublic(
    "direct_certification_allowed", "may_validate", "may_reject"
)


class FourEyesRefused(VaultError):
    code = "four_eyes"


NOT_ACTIVE = (
    "The four-eyes certification policy is not switched on.",
    "La double validation des certifications n'est pas activée.",
    "four_eyes_off",
)
NOT_DEPOSITED = (
    "Only a deposited paper (neither certified, expired nor replaced) can be sent for "
    "certification.",
    "Seul un papier déposé (ni certifié, ni périmé, ni remplacé) peut être proposé à la "
    "certification.",
    "not_certifiable",
)
NOT_PENDING = (
    "This paper is not awaiting certification.",
    "Ce papier n'attend pas de certification.",
    "not_pending",
)
SAME_AGENT = (
    "The agent who asked for the certification cannot validate it: a second agent must.",
    "La personne qui a demandé la certification ne peut pas la valider : "
    "un ou une autre agent doit le faire.",
    "same_agent",
)
OTHER_ORGANISATION = (
    "Only an agent of the organisation that asked for the certification can validate or refuse it.",
    "Seul un ou une agent de l'organisme qui a demandé la certification peut la valider "
    "ou la refuser.",
    "other_organisation",
)
NOT_CERTIFYING = (
    "Your organisation may not certify papers.",
    "Votre organisme ne peut pas certifier de papiers.",
    "not_certifying_organisation",
)
REASON_REQUIRED = (
    "Give the reason for refusing the certification.",
    "Indiquez pourquoi vous refusez la certification.",
    "reason_required",
)
#: The reason traced when switching the policy off cancels a request.
CANCELLED = "certification request cancelled (policy switched off)"
POLICY_ACTOR = "ccas-vault-policy"


def _refuse(text):
    message, message_fr, code = text
    return FourEyesRefused(message, message_fr, code=code)


def _workflow():
    return api.portal.get_tool("portal_workflow").getWorkflowById(WORKFLOW_ID)


def is_active():
    """True when the document workflow has the *pending_certification* state."""
    workflow = _workflow()
    return workflow is not None and PENDING in workflow.states.objectIds()


def pending_request(document):
    """The request of a paper awaiting certification (a mapping), or ``None``."""
    return getattr(aq_base(document), "certification_request", None)


def _user_id(user):
    return user.getId() or user.getUserName()


def _agent(user):
    from ccas.vault.certification.certify import certifier_of

    return certifier_of(user)


def _current_user():
    return getSecurityManager().getUser()


def _is_system(user):
    return aq_base(user) is aq_base(system)


# -- rules ---------------------------------------------------------------------


def validation_refusal(document, user):
    """The ``FourEyesRefused`` ``user`` would get validating ``document``, or ``None``."""
    request = pending_request(document)
    if request is None:
        return _refuse(NOT_PENDING)
    if _user_id(user) == request.get("by"):
        return _refuse(SAME_AGENT)
    return _organisation_refusal(user, request)


def rejection_refusal(document, user):
    """The refusal ``user`` would get refusing ``document``'s request, or ``None``."""
    request = pending_request(document)
    if request is None:
        return _refuse(NOT_PENDING)
    return _organisation_refusal(user, request)


def _organisation_refusal(user, request):
    from ccas.vault.organisations import organisation_of

    organisation = organisation_of(user)
    if organisation is None or not organisation.may_certify:
        return _refuse(NOT_CERTIFYING)
    if organisation.id != request.get("organisation"):
        return _refuse(OTHER_ORGANISATION)
    return None


# -- guard expressions (restricted Python) -------------------------------------


def direct_certification_allowed(document):
    """Guard of ``certify`` while the policy is on: only the GED's letters
    (``ccas.vault.api.documents.certify_ged_letter``) are certified directly."""
    return getattr(aq_base(document), "_v_certifier", None) is not None


def may_validate(document):
    return validation_refusal(document, _current_user()) is None


def may_reject(document):
    user = _current_user()
    return _is_system(user) or rejection_refusal(document, user) is None


# -- the API -------------------------------------------------------------------


def _check_active():
    if not is_active():
        raise _refuse(NOT_ACTIVE)


def request_certification(document):
    """Ask for ``document`` to be certified (*deposited* → *pending_certification*)."""
    check_permission(permissions.CERTIFY, document)
    _check_active()
    from ccas.vault.organisations import organisation_of

    organisation = organisation_of(_current_user())
    if organisation is None or not organisation.may_certify:
        raise _refuse(NOT_CERTIFYING)
    if api.content.get_state(document) != "deposited":
        raise _refuse(NOT_DEPOSITED)
    api.content.transition(obj=document, transition=REQUEST)
    return pending_request(document)


def validate_certification(document):
    """Validate the request: a second agent of the same organisation; the paper is sealed."""
    check_permission(permissions.CERTIFY, document)
    _check_active()
    if api.content.get_state(document) != PENDING:
        raise _refuse(NOT_PENDING)
    refusal = validation_refusal(document, _current_user())
    if refusal is not None:
        raise refusal
    api.content.transition(obj=document, transition=VALIDATE)
    return document.certification


def reject_certification(document, reason):
    """Refuse the request (*pending_certification* → *deposited*), with a reason (traced)."""
    check_permission(permissions.CERTIFY, document)
    _check_active()
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(REASON_REQUIRED)
    if api.content.get_state(document) != PENDING:
        raise _refuse(NOT_PENDING)
    refusal = rejection_refusal(document, _current_user())
    if refusal is not None:
        raise refusal
    api.content.transition(obj=document, transition=REJECT, comment=reason[:MAX_REASON])
    return api.content.get_state(document)


def certify_step(document):
    """What "certify" means while the policy is on: ask (*deposited*) or validate (*pending*)."""
    if api.content.get_state(document) == PENDING:
        return validate_certification(document)
    request_certification(document)
    return document.certification


def take_request(document):
    """The request of ``document`` as seal fields, removed from the paper (at validation)."""
    request = pending_request(document)
    if request is None:
        return None
    del document.certification_request
    return {
        "requested_by": request.get("by", ""),
        "requested_by_fullname": request.get("by_fullname", ""),
        "requested_at": request.get("at", ""),
    }


# -- traces (subscriber of IAfterTransitionEvent on papers) --------------------


def after_transition(document, event):
    """Keep the request on the paper and trace requests and refusals."""
    transition = event.transition
    if transition is None:
        return
    if transition.getId() == REQUEST:
        agent = _agent(api.user.get_current())
        document.certification_request = PersistentMapping(
            agent, at=datetime.now(UTC).isoformat(timespec="seconds")
        )
        history.record(
            vault_of(document),
            "certification_requested",
            target=document,
            organisation=agent["organisation"],
        )
    elif transition.getId() == REJECT:
        request = pending_request(document)
        if request is not None:
            del document.certification_request
        reason = (event.kwargs or {}).get("comment", "") or ""
        cancelled = bool((event.kwargs or {}).get("policy_off"))
        history.record(
            vault_of(document),
            "certification_rejected",
            actor=POLICY_ACTOR if cancelled else None,
            target=document,
            details={
                "reason": str(reason)[:MAX_REASON],
                "requested_by": (request or {}).get("by", ""),
            },
            organisation="" if cancelled else _agent(api.user.get_current())["organisation"],
        )


# -- what awaits the current agent ---------------------------------------------


def requests_to_validate():
    """The papers pending certification the current agent may validate, oldest request first.

    Only papers where the agent holds ``Certify document`` (a mandate in force
    with the certify scope) and that another agent of their organisation asked
    for.  The title is given only to an agent who may see the paper's metadata.
    """
    if not is_active():
        return []
    user = _current_user()
    security = getSecurityManager()
    catalog = api.portal.get_tool("portal_catalog")
    items = []
    for brain in catalog.unrestrictedSearchResults(
        portal_type="VaultDocument", review_state=PENDING
    ):
        document = brain._unrestrictedGetObject()
        if not security.checkPermission(permissions.CERTIFY, document):
            continue
        if validation_refusal(document, user) is not None:
            continue
        request = pending_request(document)
        may_read = security.checkPermission(permissions.VIEW_METADATA, document)
        vault = vault_of(document)
        items.append(
            {
                "@id": document.absolute_url(),
                "UID": document.UID(),
                "vault": vault.getId() if vault is not None else "",
                "title": (document.title or "") if may_read else "",
                "document_type": document.document_type or "",
                "requested_by": request.get("by", ""),
                "requested_by_fullname": request.get("by_fullname", ""),
                "requested_at": request.get("at", ""),
            }
        )
    return sorted(items, key=lambda item: (item["requested_at"], item["@id"]))
