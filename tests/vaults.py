"""Helpers that build vaults and people for the tests."""

from AccessControl import getSecurityManager
from AccessControl.SecurityManagement import newSecurityManager
from AccessControl.SecurityManagement import setSecurityManager
from AccessControl.SpecialUsers import nobody
from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
from ccas.vault.api import vaults
from contextlib import contextmanager
from datetime import date
from plone import api


PASSWORD = "Mot-de-passe-long-1"


def make_agent(login, extra_roles=()):
    ensure_group("ccas-agents", "Agents du CCAS", [roles.VAULT_AGENT])
    member, _ = ensure_account(login, PASSWORD, login.title(), groups=["ccas-agents"])
    if extra_roles:
        api.user.grant_roles(username=login, roles=list(extra_roles))
    return member


def make_user(login, global_roles=()):
    member, _ = ensure_account(login, PASSWORD, login.title())
    if global_roles:
        api.user.grant_roles(username=login, roles=list(global_roles))
    return member


def open_vault_as(agent_login, login, first="Jean", last="Dupont", born=date(1980, 5, 17), **kw):
    """Open a vault as ``agent_login``; return it (awaiting consent)."""
    with api.env.adopt_user(username=agent_login):
        return vaults.open_vault(
            first_name=first,
            last_name=last,
            birth_date=born,
            login=login,
            password=PASSWORD,
            **kw,
        )


def consent_as_owner(vault):
    with api.env.adopt_user(username=vault.owner_login):
        vaults.record_consent(vault, method="electronic")
    return vault


def pdf_bytes(text="Attestation"):
    """A real one-page PDF."""
    from io import BytesIO
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def deposit_as(login, space, document_type="attestation-caf", data=None, **kw):
    from ccas.vault.api import documents

    with api.env.adopt_user(username=login):
        return documents.deposit(
            space,
            data=pdf_bytes() if data is None else data,
            filename=kw.pop("filename", "attestation.pdf"),
            document_type=document_type,
            **kw,
        )


@contextmanager
def acting_as(login):
    """Run the block as the user ``login``, or as Anonymous when it is ``None``."""
    if login is not None:
        with api.env.adopt_user(username=login):
            yield
        return
    previous = getSecurityManager()
    newSecurityManager(None, nobody)
    try:
        yield
    finally:
        setSecurityManager(previous)


START = date(2026, 11, 23)
END = date(2027, 11, 23)


def active_mandate(vault, agents=("travailleur",), scopes=("consult",), end=END):
    """A mandate of the vault's owner, signed by everybody: active from START to ``end``
    (``None``: until revoked)."""
    from ccas.vault.api import mandates

    with acting_as(vault.owner_login):
        mandate = mandates.create_mandate(
            vault, agents=agents, scopes=scopes, start=START, end=end, until_revoked=end is None
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    for agent in agents:
        with acting_as(agent):
            mandates.sign_as_agent(mandate)
    return mandate
