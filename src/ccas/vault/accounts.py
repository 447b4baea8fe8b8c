"""Plone accounts of beneficiaries and staff.

Beneficiaries often have no e-mail address, which ``plone.api.user.create``
and ``portal_registration.addMember`` require; this module creates accounts
with or without an address.
"""

from plone import api
from Products.CMFPlone.RegistrationTool import checkEmailAddress
from Products.CMFPlone.RegistrationTool import EmailAddressInvalid


def get_account(login):
    """Return the member with this login, or ``None``."""
    return api.user.get(username=login)


def ensure_account(login, password, fullname, email=None, groups=(), check_password=True):
    """Create the account if it does not exist; add it to ``groups``.

    ``email`` may be ``None``: ``portal_registration.addMember`` would refuse
    that, so the membership tool creates the account after the same login,
    password-policy and address checks.  ``check_password=False`` skips the
    password policy (demo accounts only).  An existing account keeps its
    password and properties: running this twice changes nothing the second
    time.  Returns ``(member, created)``.
    """
    member = get_account(login)
    created = member is None
    if created:
        registration = api.portal.get_tool("portal_registration")
        if not registration.isMemberIdAllowed(login):
            raise ValueError(f"Login {login!r} is already used or not allowed.")
        failure = registration.testPasswordValidity(password) if check_password else None
        if failure:
            raise ValueError(failure)
        if email:
            try:
                checkEmailAddress(email)
            except EmailAddressInvalid:
                raise ValueError(f"Invalid e-mail address: {email!r}") from None
        api.portal.get_tool("portal_membership").addMember(
            login, password, ("Member",), (), {"fullname": fullname, "email": email or ""}
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
            group = api.group.get(groupname=group_id)
    return group


def password_failure(password):
    """Why Plone's password policy refuses ``password`` (a message), or ``None`` when it is fine."""
    return api.portal.get_tool("portal_registration").testPasswordValidity(password)


def set_password(login, password):
    """Give the account ``login`` a new password after the policy check (``ValueError`` if refused).

    Used by :mod:`ccas.vault.account`: the person types the new password; no
    agent ever chooses or sees it.
    """
    member = get_account(login)
    if member is None:
        raise ValueError(f"No account {login!r}")
    failure = password_failure(password)
    if failure:
        raise ValueError(failure)
    from ccas.vault.account.guard import own_route

    with own_route("password"):  # the callers trace it and tell the person (decision 0035)
        api.portal.get_tool("acl_users").userSetPassword(member.getId(), password)
    return member
