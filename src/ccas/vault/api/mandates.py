"""Mandates: created by the person, signed by the person and every agent, revocable at any time.

Workflow: draft → awaiting_signatures → active → expired | revoked.  Every
transition goes through this module (the workflow lets only the system fire
them), which checks who is asking, writes the history and re-computes the
shared space's roster in the same transaction (``ccas.vault.workspace``).
"""

from Acquisition import aq_base
from Acquisition import aq_inner
from Acquisition import aq_parent
from BTrees.OOBTree import OOBTree
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.api.errors import VaultError
from ccas.vault.api.vaults import vault_directory
from ccas.vault.content.mandate import DEFAULT_PURPOSE
from ccas.vault.content.mandate import IMandate
from ccas.vault.encryption.blobs import encrypt_file
from ccas.vault.history import api as history
from ccas.vault.ids import new_id
from ccas.vault.lookup import vault_of
from ccas.vault.scopes import CONSULT
from ccas.vault.scopes import DEPOSIT
from ccas.vault.scopes import SCOPES
from ccas.vault.scopes import SHARE
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from ccas.vault.workspace import in_force as in_force_window
from ccas.vault.workspace import sync_roster
from ccas.vault.workspace import vaults_of_agent
from datetime import date
from datetime import datetime
from datetime import UTC
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone import api
from Products.CMFPlone.utils import _createObjectByType
import hashlib
import hmac
import secrets


DEFAULT_MONTHS = 12
CHANGE_PASSWORD_ADVICE = "Un mandat s'est terminé. Par prudence, changez votre mot de passe."
PROPOSAL_NOTICE = (
    "Un agent vous propose un mandat. Lisez-le dans « Qui a accès » : "
    "vous pouvez le signer, en cochant seulement ce que vous acceptez, ou le refuser."
)


def _organisation_of(user_id):
    try:
        from ccas.vault.organisations import organisation_of
    except ImportError:  # organisations not installed yet
        return ""
    organisation = organisation_of(api.user.get(userid=user_id))
    return organisation.id if organisation is not None else ""


def _may_certify(organisation_id):
    if not organisation_id:
        return False
    try:
        from ccas.vault.organisations import get_organisation
    except ImportError:
        return False
    organisation = get_organisation(organisation_id)
    return bool(organisation and organisation.enabled and organisation.may_certify)


def sync(vault):
    """Re-compute the roster of ``vault``'s shared space (as system)."""
    with as_system():
        sync_roster(vault, may_certify=_may_certify)


def _transition(mandate, transition):
    with as_system():
        api.content.transition(obj=mandate, transition=transition)


def _notice(vault, text):
    """Keep a message for the person's next login (the public skin shows them)."""
    notices = getattr(vault, "pending_notices", None)
    if notices is None:
        notices = vault.pending_notices = PersistentList()
    notices.append({"when": datetime.now(UTC).isoformat(), "text": text})


def mandates_of(vault):
    return [obj for obj in vault.objectValues() if IMandate.providedBy(obj)]


def create_mandate(
    vault, *, agents, scopes, purpose=DEFAULT_PURPOSE, start=None, end=None, until_revoked=False
):
    """The person drafts a mandate naming ``agents`` (user ids) with ``scopes``.

    ``end`` defaults to 12 months after ``start`` (today); ``until_revoked``
    leaves it open.  Needs ``Manage mandates`` on the vault (its owner).
    """
    check_permission(permissions.MANAGE_MANDATES, vault)
    return _create(
        vault,
        agents=agents,
        scopes=scopes,
        purpose=purpose,
        start=start,
        end=end,
        until_revoked=until_revoked,
    )


def _proposing_agent(vault):
    """The current user, who must be an agent, proposing in an open ``vault``."""
    user = api.user.get_current()
    if api.user.is_anonymous() or roles.VAULT_AGENT not in user.getRoles():
        raise VaultError(
            "Only an agent proposes a mandate",
            "Seul un agent peut proposer un mandat.",
            code="not_an_agent",
        )
    if api.content.get_state(vault) != "open":
        raise VaultError(
            "The vault is not open", "Ce coffre-fort n'est pas ouvert.", code="vault_not_open"
        )
    return user


def propose_mandate(
    vault, *, agents, scopes, purpose=DEFAULT_PURPOSE, end=None, until_revoked=False
):
    """An agent proposes a mandate to the person of an open ``vault`` (decision 0045).

    The proposing agent (global VaultAgent role) is named in ``agents``; the
    same rules as :func:`create_mandate` apply.  The mandate goes straight to
    *awaiting_signatures*: nothing is granted before the person signs (on their
    phone, possibly fewer scopes, or on the printed form an agent attaches) and
    every agent signs.  The person is told at their next login.
    """
    user = _proposing_agent(vault)
    agents = list(dict.fromkeys(agents))
    if user.getId() not in agents:
        agents.insert(0, user.getId())
    mandate = _create(
        vault,
        agents=agents,
        scopes=scopes,
        purpose=purpose,
        end=end,
        until_revoked=until_revoked,
        proposed_by=user.getId(),
    )
    _transition(mandate, "submit")
    _notice(vault, PROPOSAL_NOTICE)
    return mandate


def _create(
    vault,
    *,
    agents,
    scopes,
    purpose=DEFAULT_PURPOSE,
    start=None,
    end=None,
    until_revoked=False,
    proposed_by=None,
):
    agents = list(dict.fromkeys(agents))
    scopes = set(scopes)
    if not agents:
        raise VaultError(
            "A mandate names at least one agent", "Choisissez au moins un agent.", code="no_agent"
        )
    for agent in agents:
        user = api.user.get(userid=agent)
        if user is None or roles.VAULT_AGENT not in api.user.get_roles(user=user):
            raise VaultError(
                f"{agent!r} is not an agent",
                "Cette personne n'est pas un agent.",
                code="not_an_agent",
            )
    if not scopes or not scopes <= set(SCOPES):
        raise VaultError(
            f"Scopes must be among {SCOPES}",
            "Choisissez ce que l'agent peut faire.",
            code="bad_scopes",
        )
    start, end = _dates(scopes, start, end, until_revoked)
    user = api.user.get_current()
    with as_system():
        mandate = _createObjectByType(
            "Mandate",
            vault,
            new_id(vault, "m", 5),
            title="Mandat",
            agents=agents,
            scopes=scopes,
            purpose=purpose or DEFAULT_PURPOSE,
            start=start,
            end=end,
        )
        for agent in agents:
            mandate.organisations[agent] = _organisation_of(agent)
        if proposed_by:
            mandate.proposed_by = proposed_by
        mandate.manage_delLocalRoles(list(mandate.users_with_local_role("Owner")))
        mandate.reindexObject()
    details = {"agents": " ".join(agents), "scopes": " ".join(sorted(scopes))}
    if proposed_by:
        details["proposed_by"] = proposed_by
    history.record(vault, "mandate_created", actor=user, target=mandate, details=details)
    return mandate


def _dates(scopes, start, end, until_revoked):
    """``(start, end)`` after the records managers' rules (scopes offered, length)."""
    rules = _rules()
    offered = set(rules["scopes"])
    if not scopes <= offered:
        raise VaultError(
            f"These actions are not offered by the CCAS: {', '.join(sorted(scopes - offered))}",
            "Le CCAS ne propose pas ces actions dans un mandat : "
            f"{', '.join(sorted(scopes - offered))}.",
            code="scope_not_offered",
        )
    start = start or clock.paris_now().date()
    if until_revoked and not rules["allow_until_revoked"]:
        raise VaultError(
            "A mandate cannot last until revoked here: give an end date",
            "Un mandat doit avoir une date de fin. Choisissez-la.",
            code="until_revoked_not_allowed",
        )
    if until_revoked:
        end = None
    elif end is None:
        end = _add_months(start, rules["default_months"])
    if rules["max_months"] and end is not None and end > _add_months(start, rules["max_months"]):
        raise VaultError(
            f"A mandate lasts {rules['max_months']} months at most",
            f"Un mandat dure au plus {rules['max_months']} mois. Choisissez une fin plus proche.",
            code="mandate_too_long",
        )
    if end is not None and end < start:
        raise VaultError(
            "The end comes before the start", "La fin est avant le début.", code="bad_dates"
        )
    return start, end


def _rules():
    """The records managers' mandate rules (``mandate-rules`` workflow policy)."""
    from ccas.vault.policies.mandates import mandate_rules

    return mandate_rules()


def _add_months(start, months):
    from ccas.vault.document_types import add_months

    return add_months(start, months)


def submit(mandate):
    """The person sends the draft for signature."""
    check_permission(permissions.MANAGE_MANDATES, vault_of(mandate))
    _require_state(mandate, "draft")
    _transition(mandate, "submit")


def _require_state(mandate, *states):
    state = api.content.get_state(mandate)
    if state not in states:
        raise VaultError(
            f"The mandate is {state}",
            "Ce mandat ne le permet pas dans son état.",
            code="wrong_state",
        )


def sign_as_person(mandate, method="electronic", form=None, scopes=None):
    """The person signs: in their session (electronic), or an agent of the
    mandate attaches the signed paper form (``form``, a NamedBlobFile).

    ``scopes``: what the person accepts, when fewer than proposed (partial
    acceptance, decision 0045): a non-empty part of the mandate's scopes; the
    mandate then holds only those, and the history says which were refused.
    """
    _require_state(mandate, "awaiting_signatures")
    accepted = _accepted(mandate, scopes)
    vault = vault_of(mandate)
    user = api.user.get_current()
    if method == "electronic":
        if user.getUserName() != vault.owner_login:
            raise VaultError(
                "Only the person signs electronically",
                "Seule la personne peut signer en ligne.",
                code="not_the_owner",
            )
    elif method == "paper":
        if user.getId() not in mandate.agents and not _proposer_of_personal(mandate, user):
            raise VaultError(
                "Only an agent of the mandate records the paper form",
                "Seul un agent du mandat peut joindre le formulaire signé.",
                code="not_an_agent_of_the_mandate",
            )
        if form is None:
            raise VaultError(
                "The signed form is missing",
                "Ajoutez le formulaire de mandat signé et scanné.",
                code="form_missing",
            )
    else:
        raise VaultError(f"Unknown method {method!r}", "Ce mode de signature n'existe pas.")
    refused_scopes = set(mandate.scopes or ()) - accepted
    with as_system():
        if refused_scopes:
            mandate.scopes = accepted
            mandate.refused_scopes = refused_scopes
        mandate.person_signature = PersistentMapping(
            when=datetime.now(UTC).isoformat(),
            method=method,
            recorded_by=user.getId(),
            form=encrypt_file(form, mandate),
        )
        if refused_scopes:
            mandate.person_signature["refused_scopes"] = " ".join(sorted(refused_scopes))
            mandate.reindexObject()
    details = {"signer": "person", "method": method}
    if refused_scopes:
        details["scopes"] = " ".join(sorted(accepted))
        details["refused_scopes"] = " ".join(sorted(refused_scopes))
    history.record(vault, "mandate_signed", actor=user, target=mandate, details=details)
    _activate_if_signed(mandate)


def _accepted(mandate, scopes):
    """The scopes the person accepts: all of the mandate's, or the part ``scopes`` names."""
    proposed = set(mandate.scopes or ())
    if scopes is None:
        return proposed
    accepted = {scope for scope in scopes if isinstance(scope, str)}
    if not accepted:
        raise VaultError(
            "Accept at least one of the mandate's actions, or refuse the mandate",
            "Cochez au moins une action, ou refusez le mandat.",
            code="no_scope_accepted",
        )
    if not accepted <= proposed:
        raise VaultError(
            "Only the actions the mandate proposes can be accepted",
            "Vous ne pouvez accepter que les actions proposées dans ce mandat.",
            code="bad_scopes",
        )
    return accepted


def sign_as_agent(mandate):
    """A named agent, logged in, signs the mandate."""
    _require_state(mandate, "awaiting_signatures")
    user = api.user.get_current()
    if user.getId() not in mandate.agents:
        raise VaultError(
            "You are not named in this mandate",
            "Vous n'êtes pas nommé dans ce mandat.",
            code="not_an_agent_of_the_mandate",
        )
    with as_system():
        mandate.agent_signatures[user.getId()] = datetime.now(UTC).isoformat()
    history.record(
        vault_of(mandate),
        "mandate_signed",
        actor=user,
        target=mandate,
        details={"signer": "agent"},
        organisation=mandate.organisations.get(user.getId(), ""),
    )
    _activate_if_signed(mandate)


def _activate_if_signed(mandate):
    if not mandate.agents:
        return  # a personal mandate whose mandatary has not accepted the invitation yet
    signature = mandate.person_signature
    # Policy "mandate-rules": without online agent signatures, the paper form
    # (signed by the person and every agent, attached by an agent) is enough.
    on_paper = bool(signature) and signature.get("method") == "paper"
    # A personal mandatary always accepts with their own account (decision 0049).
    paper_enough = on_paper and not _rules()["agents_sign_online"] and not is_personal(mandate)
    if signature and (paper_enough or set(mandate.agent_signatures) >= set(mandate.agents)):
        _transition(mandate, "activate")
        sync(vault_of(mandate))


def revoke(mandate):
    """The person ends the mandate, at any time."""
    vault = vault_of(mandate)
    check_permission(permissions.MANAGE_MANDATES, vault)
    _require_state(mandate, "draft", "awaiting_signatures", "active")
    _end(mandate, "revoke", "revoked")


def withdraw(mandate):
    """An agent takes themself out of a mandate; with nobody left, it is revoked."""
    _require_state(mandate, "awaiting_signatures", "active")
    user_id = api.user.get_current().getId()
    if user_id not in mandate.agents:
        raise VaultError(
            "You are not named in this mandate",
            "Vous n'êtes pas nommé dans ce mandat.",
            code="not_an_agent_of_the_mandate",
        )
    remaining = [agent for agent in mandate.agents if agent != user_id]
    if not remaining:
        _end(mandate, "revoke", "withdrawn")
        return
    with as_system():
        mandate.agents = remaining
        mandate.agent_signatures.pop(user_id, None)
    vault = vault_of(mandate)
    history.record(vault, "mandate_revoked", target=mandate, details={"withdrawn": user_id})
    sync(vault)
    _stop_links(vault)


def _end(mandate, transition, why, actor=None):
    vault = vault_of(mandate)
    _forget_invitation(mandate)
    with as_system():
        mandate.ended = PersistentMapping(
            when=datetime.now(UTC).isoformat(), why=why, by=actor or api.user.get_current().getId()
        )
    _transition(mandate, transition)
    sync(vault)
    _notice(vault, CHANGE_PASSWORD_ADVICE)
    action = "mandate_expired" if why == "expired" else "mandate_revoked"
    history.record(vault, action, actor=actor, target=mandate, details={"why": why})
    _stop_links(vault, actor)


def _stop_links(vault, actor=None):
    """Links an agent made under a mandate stop with it (decision 0037)."""
    if api.content.get_state(vault) != "open":
        return
    from ccas.vault.sharing.links import stop_links_that_may_not_serve

    stop_links_that_may_not_serve(vault, actor)


def end_mandates_of_closed_vault(vault):
    """The vault is being deleted: every mandate not ended yet is revoked (system)."""
    for mandate in mandates_of(vault):
        if api.content.get_state(mandate) in ("draft", "awaiting_signatures", "active"):
            _forget_invitation(mandate)
            with as_system():
                mandate.ended = PersistentMapping(
                    when=datetime.now(UTC).isoformat(), why="vault closed", by=clock.CLOCK_ACTOR
                )
            _transition(mandate, "revoke")
    sync(vault)


def expire_mandates(portal, now=None):
    """Clock job: active mandates whose end has passed (Europe/Paris) become *expired*."""
    today = clock.paris_now(now).date()
    catalog = portal.portal_catalog
    expired = 0
    for brain in catalog.unrestrictedSearchResults(portal_type="Mandate", review_state="active"):
        mandate = brain._unrestrictedGetObject()
        if mandate.end is not None and mandate.end < today:
            _end(mandate, "expire", "expired", actor=clock.CLOCK_ACTOR)
            expired += 1
    return expired


def in_force(mandate, today=None):
    """Active and within its dates."""
    today = today or clock.paris_now().date()
    return (
        api.content.get_state(mandate) == "active"
        and mandate.start <= today
        and (mandate.end is None or today <= mandate.end)
    )


# --- personal mandates: a relative or a trusted person (decision 0049) ----------------------

PROFESSIONAL = "professional"
PERSONAL = "personal"
#: what a relative may be allowed: never extract (originals), certify or account help
PERSONAL_SCOPES = (CONSULT, DEPOSIT, SHARE)
MAX_NAME = 100
MAX_RELATION = 60
INVITATIONS = "_ccas_mandate_invitations"  # on the directory: sha256(code) -> (vault, mandate)
#: global roles of staff accounts: a work account is never a personal mandatary
STAFF_ROLES = frozenset(
    {"Manager", "Site Administrator", roles.VAULT_AGENT, roles.RECORDS_MANAGER, roles.GED_CONNECTOR}
)
MANDATARY_SIGNER = "mandatary"
RELATIVE_SIGNED_NOTICE = (
    "{name} a signé le mandat que vous lui avez donné. Vous le voyez dans « Qui a accès » : "
    "vous pouvez l'arrêter quand vous voulez."
)


def is_personal(mandate):
    return getattr(mandate, "kind", PROFESSIONAL) == PERSONAL


def _proposer_of_personal(mandate, user):
    return is_personal(mandate) and mandate.proposed_by == user.getId()


def _clean(text, limit, what_en, what_fr, code):
    text = " ".join(text.split()) if isinstance(text, str) else ""
    if not text:
        raise VaultError(f"{what_en} is missing", f"Écrivez {what_fr}.", code=code)
    if len(text) > limit:
        raise VaultError(
            f"{what_en} is too long", f"C'est trop long : {limit} caractères au plus.", code=code
        )
    return text


def _personal_terms(name, relation, scopes, months, end):
    name = _clean(name, MAX_NAME, "The name", "le nom de la personne", "no_name")
    relation = _clean(
        relation, MAX_RELATION, "The relation", "qui elle est pour vous", "no_relation"
    )
    scopes = {scope for scope in (scopes or ()) if isinstance(scope, str)}
    if not scopes:
        raise VaultError(
            "Choose what the person may do",
            "Cochez ce que la personne peut faire.",
            code="bad_scopes",
        )
    if not scopes <= set(PERSONAL_SCOPES):
        raise VaultError(
            f"A relative may only {', '.join(PERSONAL_SCOPES)}",
            "Un proche peut seulement voir, ajouter ou partager vos papiers.",
            code="scope_not_for_a_relative",
        )
    start = clock.paris_now().date()
    if months is not None:
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            raise VaultError(
                "The length is a number of months", "Choisissez une durée.", code="bad_dates"
            )
        end = _add_months(start, months)
    start, end = _dates(scopes, start, end, False)
    return name, relation, scopes, start, end


def name_mandatary(vault, *, name, relation, scopes, months=None, end=None):
    """The person names a relative or trusted person: returns ``(mandate, invitation code)``.

    The mandate waits for signatures: the person signs (:func:`sign_as_person`,
    on the phone or on the form an agent attaches); the mandatary opens the
    invitation link, logs in or opens an account of their own, and accepts
    (:func:`accept_invitation`).  Scopes among consult, deposit and share only.
    """
    check_permission(permissions.MANAGE_MANDATES, vault)
    return _create_personal(vault, name, relation, scopes, months, end)


def propose_personal_mandate(vault, *, name, relation, scopes, months=None, end=None):
    """An agent, with the person present, prepares a personal mandate (decision 0049).

    The person then signs on their phone ("Qui a accès") or on the printed form
    the agent attaches (:func:`sign_as_person` with ``method="paper"``); the agent
    gets no access from it.
    """
    user = _proposing_agent(vault)
    result = _create_personal(vault, name, relation, scopes, months, end, user.getId())
    _notice(vault, PROPOSAL_NOTICE)
    return result


def _create_personal(vault, name, relation, scopes, months, end, proposed_by=None):
    name, relation, scopes, start, end = _personal_terms(name, relation, scopes, months, end)
    code = secrets.token_urlsafe(18)
    user = api.user.get_current()
    with as_system():
        mandate = _createObjectByType(
            "Mandate",
            vault,
            new_id(vault, "m", 5),
            title="Mandat",
            agents=[],
            scopes=scopes,
            purpose=DEFAULT_PURPOSE,
            start=start,
            end=end,
        )
        mandate.kind = PERSONAL
        mandate.relation = relation
        mandate.mandatary_name = name
        mandate.invitation = code
        if proposed_by:
            mandate.proposed_by = proposed_by
        mandate.manage_delLocalRoles(list(mandate.users_with_local_role("Owner")))
        mandate.reindexObject()
        _invitations(vault)[_hash(code)] = (vault.getId(), mandate.getId())
    details = {"kind": PERSONAL, "relation": relation, "scopes": " ".join(sorted(scopes))}
    if proposed_by:
        details["proposed_by"] = proposed_by
    history.record(vault, "mandate_created", actor=user, target=mandate, details=details)
    _transition(mandate, "submit")
    return mandate, code


def _hash(code):
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _invitations(vault):
    directory = aq_parent(aq_inner(vault))
    found = getattr(aq_base(directory), INVITATIONS, None)
    if found is None:
        found = OOBTree()
        setattr(directory, INVITATIONS, found)
    return found


def _forget_invitation(mandate):
    code = getattr(mandate, "invitation", "")
    if not code:
        return
    with as_system():
        _invitations(vault_of(mandate)).pop(_hash(code), None)
        mandate.invitation = ""


def invited_mandate(code):
    """The mandate waiting for the mandatary of invitation ``code``, or ``None``.

    Read as the system: the code is the mandatary's only key until they accept.
    """
    if not isinstance(code, str) or not 10 <= len(code) <= 64:
        return None
    directory = vault_directory()
    found = getattr(aq_base(directory), INVITATIONS, {}).get(_hash(code))
    if found is None:
        return None
    vault = directory.get(found[0])
    mandate = vault.get(found[1]) if vault is not None else None
    if (
        mandate is None
        or not is_personal(mandate)
        or not hmac.compare_digest(mandate.invitation or "", code)
        or api.content.get_state(mandate) != "awaiting_signatures"
    ):
        return None
    return mandate


def may_be_mandatary(user, vault):
    """``None`` when ``user`` may accept a personal mandate of ``vault``, else a refusal."""
    if user is None or api.user.is_anonymous():
        return VaultError("Log in first", "Connectez-vous d'abord.", code="anonymous")
    if set(user.getRoles()) & STAFF_ROLES:
        return VaultError(
            "A work account is never a personal mandatary",
            "Un compte de travail ne peut pas être mandataire d'un proche. "
            "Utilisez votre compte personnel.",
            code="staff_account",
        )
    if user.getUserName() == vault.owner_login:
        return VaultError(
            "The person cannot be their own mandatary",
            "Ce mandat est pour une autre personne que vous.",
            code="own_vault",
        )
    return None


def accept_invitation(code, agreed=False):
    """The mandatary, logged in with their own account, accepts and signs (decision 0049).

    ``agreed``: they read the information notice and agree (their own consent).
    """
    if not agreed:
        raise VaultError(
            "Read the notice and agree first",
            "Lisez la notice, puis cochez la case pour dire que vous êtes d'accord.",
            code="notice_not_agreed",
        )
    mandate = invited_mandate(code)
    if mandate is None:
        raise VaultError(
            "This invitation is not valid any more",
            "Ce lien ne marche plus. Demandez à la personne de vous en donner un nouveau.",
            code="invitation_not_valid",
        )
    vault = vault_of(mandate)
    user = api.user.get_current()
    refusal = may_be_mandatary(user, vault)
    if refusal is not None:
        raise refusal
    user_id = user.getId()
    _forget_invitation(mandate)
    with as_system():
        mandate.agents = [user_id]
        mandate.organisations[user_id] = ""
        mandate.agent_signatures[user_id] = datetime.now(UTC).isoformat()
        mandate.reindexObject()
    history.record(
        vault,
        "mandate_signed",
        actor=user,
        target=mandate,
        details={"signer": MANDATARY_SIGNER, "relation": mandate.relation, "notice": "agreed"},
    )
    _activate_if_signed(mandate)
    _notice(vault, RELATIVE_SIGNED_NOTICE.format(name=user.getProperty("fullname") or user_id))
    return mandate


def relations_of(vault):
    """``{user id: relation}`` of the vault's personal mandataries (every mandate, ended too)."""
    found = {}
    for mandate in mandates_of(vault):
        if is_personal(mandate):
            for user_id in (*(mandate.agents or ()), *(mandate.organisations or {})):
                found.setdefault(user_id, mandate.relation)
    return found


def _scopes_in_force(groups, today):
    scopes, ends = [], []
    for group, windows in groups.items():
        current = [window for window in windows if in_force_window([window], today)]
        if current:
            scopes.append(group)
            ends.extend(end for _start, end in current)
    ordered = tuple(scope for scope in SCOPES if scope in scopes)
    if not ordered:
        return (), None
    until = None if "" in ends else date.fromisoformat(max(ends))
    return ordered, until


def helper_scopes(vault, user_id=None, today=None):
    """``(scopes in force, until)`` of a personal mandatary on ``vault`` (roster, as agents).

    Only personal mandates in force count: ``()`` for anybody else.
    """
    user_id = user_id or api.user.get_current().getId()
    today = today or clock.paris_now().date()
    personal = [
        mandate
        for mandate in mandates_of(vault)
        if is_personal(mandate) and user_id in (mandate.agents or ()) and in_force(mandate, today)
    ]
    if not personal:
        return (), None
    groups = vaults_of_agent(aq_parent(aq_inner(vault)), user_id).get(vault.getId()) or {}
    return _scopes_in_force(groups, today)


def helped_vaults(user_id=None, today=None):
    """The vaults the current user helps with as a personal mandatary, with scopes and end."""
    user_id = user_id or api.user.get_current().getId()
    today = today or clock.paris_now().date()
    directory = vault_directory()
    items = []
    with as_system():
        for vault_id in vaults_of_agent(directory, user_id):
            vault = directory.get(vault_id)
            if vault is None or api.content.get_state(vault) != "open":
                continue
            scopes, until = helper_scopes(vault, user_id, today)
            if not scopes:
                continue
            relation = relations_of(vault).get(user_id, "")
            items.append(
                {
                    "id": vault_id,
                    "first_name": vault.first_name or "",
                    "last_name": vault.last_name or "",
                    "relation": relation,
                    "scopes": scopes,
                    "until": until,
                }
            )
    items.sort(key=lambda item: (item["last_name"].lower(), item["first_name"].lower()))
    return items
