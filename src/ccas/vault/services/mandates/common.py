"""Who may see a mandate, and what the services answer about one."""

from AccessControl import Unauthorized
from ccas.vault import permissions
from ccas.vault.api import mandates as mandate_api
from ccas.vault.lookup import vault_of
from ccas.vault.services.base import file_info
from plone import api


def is_owner(vault):
    """The person (``Manage mandates`` on their vault); never a Manager as such."""
    if vault is None or api.user.is_anonymous():
        return False
    return bool(api.user.has_permission(permissions.MANAGE_MANDATES, obj=vault))


def is_named(mandate):
    """The current user is an agent named in ``mandate`` — or the agent who prepared a
    personal mandate at the desk (decision 0049: they print it and attach the signed form;
    it gives them nothing in the vault)."""
    if api.user.is_anonymous():
        return False
    user_id = api.user.get_current().getId()
    if mandate_api.is_personal(mandate) and mandate.proposed_by == user_id:
        return True
    return user_id in (mandate.agents or ())


def may_see(mandate):
    return is_owner(vault_of(mandate)) or is_named(mandate)


def check_may_see(mandate):
    """``Unauthorized`` (401 anonymous / 403 others) unless owner or named agent."""
    if not may_see(mandate):
        raise Unauthorized("Only the person and the agents named in the mandate")


def fullname(user_id):
    user = api.user.get(userid=user_id)
    if user is None:
        return user_id
    return user.getProperty("fullname", "") or user_id


def organisation_title(organisation_id):
    if not organisation_id:
        return ""
    from ccas.vault.organisations import get_organisation

    organisation = get_organisation(organisation_id)
    return organisation.title if organisation is not None else organisation_id


def agent_info(mandate, agent):
    organisation_id = (mandate.organisations or {}).get(agent, "")
    return {
        "id": agent,
        "fullname": fullname(agent),
        "organisation": {"id": organisation_id, "title": organisation_title(organisation_id)},
    }


def person_signature_info(mandate):
    signature = mandate.person_signature
    if not signature:
        return None
    form = signature.get("form")
    return {
        "when": signature.get("when"),
        "method": signature.get("method"),
        "recorded_by": signature.get("recorded_by"),
        "form": file_info(form),
    }


def mandate_info(mandate):
    """What the services answer about a mandate (never the bytes of a signed form)."""
    ended = mandate.ended
    return {
        "@id": mandate.absolute_url(),
        "id": mandate.getId(),
        "review_state": api.content.get_state(mandate),
        "in_force": mandate_api.in_force(mandate),
        "agents": [agent_info(mandate, agent) for agent in mandate.agents or ()],
        "kind": getattr(mandate, "kind", mandate_api.PROFESSIONAL),
        "relation": getattr(mandate, "relation", "") or None,
        "scopes": sorted(mandate.scopes or ()),
        "purpose": mandate.purpose,
        "duties_statement": mandate.duties_statement,
        "start": mandate.start.isoformat() if mandate.start else None,
        "end": mandate.end.isoformat() if mandate.end else None,
        "person_signature": person_signature_info(mandate),
        "agent_signatures": dict(mandate.agent_signatures or {}),
        "ended": dict(ended) if ended else None,
    }
