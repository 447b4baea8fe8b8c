"""Plone accounts of beneficiaries and staff.

Beneficiaries often have no e-mail address, which ``plone.api.user.create``
requires; this module creates accounts through ``portal_registration``
directly, with or without an address.
"""

from plone import api


def get_account(login):
    """Return the member with this login, or ``None``."""
    return api.user.get(username=login)


def ensure_account(login, password, fullname, email=None, groups=()):
    """Create the account if it does not exist; add it to ``groups``.

    An existing account keeps its password and properties: running this
    twice changes nothing the second time.  Returns ``(member, created)``.
    """
    member = get_account(login)
    created = member is None
    if created:
        registration = api.portal.get_tool("portal_registration")
        registration.addMember(
            login,
            password,
            properties={"username": login, "fullname": fullname, "email": email or ""},
        )
        member = get_account(login)
    current = {group.getId() for group in api.group.get_groups(user=member)}
    for group_id in groups:
        if group_id not in current:
            api.group.add_user(groupname=group_id, username=login)
    return member, created


def ensure_group(group_id, title, roles=()):
    """Create the group if it does not exist and give it ``roles`` (site-wide)."""
    group = api.group.get(groupname=group_id)
    if group is None:
        group = api.group.create(groupname=group_id, title=title, roles=list(roles))
    else:
        missing = set(roles) - set(group.getRoles())
        if missing:
            api.group.grant_roles(groupname=group_id, roles=sorted(missing))
    return group
