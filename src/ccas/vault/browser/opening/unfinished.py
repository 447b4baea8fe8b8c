"""The openings an agent started that wait for the person's consent ("Mon accueil", decision 0046).

Only the agent who opened a vault continues its opening (decision 0018), so an agent's
home lists the vaults *they* opened that are still *awaiting consent*, oldest first,
each with a link to the wizard's consent step.  Read as the system from the catalog:
the agent holds no View on a vault before a mandate.
"""

from ccas.vault.letters import matching
from ccas.vault.letters import parking
from datetime import datetime
from plone import api
from urllib.parse import urlencode


def unfinished_openings(agent_id, with_letters=None):
    """``[{id, person, birth_date, started, started_iso, letters, url}]`` for ``agent_id``."""
    catalog = api.portal.get_tool("portal_catalog")
    portal_url = api.portal.get().absolute_url()
    if with_letters is None:
        with_letters = parking.may_manage_parked()
    rows = []
    for brain in catalog.unrestrictedSearchResults(
        portal_type="Vault", review_state="awaiting_consent"
    ):
        vault = brain._unrestrictedGetObject()
        notice = getattr(vault, "information_notice", None) or {}
        if notice.get("delivered_by") != agent_id:
            continue
        started = notice.get("delivered_at") or ""
        try:
            started_at = datetime.fromisoformat(started)
        except ValueError:
            started_at = None
        query = urlencode({"vault": vault.getId(), "step": "consent"})
        rows.append(
            {
                "id": vault.getId(),
                "person": vault.display_name,
                "birth_date": vault.birth_date.strftime("%d/%m/%Y") if vault.birth_date else "",
                "started": _french_moment(started_at),
                "started_iso": started,
                "letters": sum(matching.waiting_for(g) for g in vault.ged_person_ids or ())
                if with_letters
                else 0,
                "url": f"{portal_url}/@@ouvrir-un-coffre?{query}",
            }
        )
    return sorted(rows, key=lambda row: (row["started_iso"], row["id"]))


def _french_moment(moment):
    from ccas.vault.browser.agent_home import french_moment

    return french_moment(moment) if moment is not None else ""
