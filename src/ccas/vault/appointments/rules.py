"""Who may record, see and cancel a vault's appointments.

* the person whose vault it is;
* an agent holding a mandate *in force* on the vault, whatever its scope
  (consult, extract, deposit, share, account or certify): an appointment is
  part of the accompaniment itself, not of the papers;
* nobody else — no Manager, no Site Administrator, no agent whose mandate
  ended or has not started.

The vault must be *open*: a vault being closed (or awaiting consent) takes no
new appointment and cancels none.  Every refusal is a ``VaultError`` with a
French text for people.
"""

from ccas.vault.api.accompaniments import holds_scope_in_force
from ccas.vault.api.accompaniments import SCOPE_ORDER
from ccas.vault.api.errors import VaultError
from ccas.vault.content.vault import IVault
from ccas.vault.sharing.links import is_owner
from plone import api


OWNER = "owner"
AGENT = "agent"


def role_of(vault):
    """``"owner"``, ``"agent"`` (mandate in force) or ``None`` for the current user."""
    if vault is None or not IVault.providedBy(vault) or api.user.is_anonymous():
        return None
    if is_owner(vault):
        return OWNER
    if any(holds_scope_in_force(vault, scope) for scope in SCOPE_ORDER):
        return AGENT
    return None


def may_use(vault):
    return role_of(vault) is not None


def check_may_use(vault):
    """The caller's role; ``VaultError`` (code ``forbidden``) for anybody else."""
    role = role_of(vault)
    if role is None:
        if api.user.is_anonymous():
            raise VaultError(
                "Log in to see or record appointments",
                "Connectez-vous pour voir ou noter un rendez-vous.",
                code="unauthorized",
            )
        raise VaultError(
            "Only the person and the agents holding a mandate in force",
            "Seuls la personne et les agents qui ont un mandat en cours "
            "peuvent voir ou noter ses rendez-vous.",
            code="forbidden",
        )
    return role


def check_open(vault):
    if api.content.get_state(vault) != "open":
        raise VaultError(
            "The vault is not open: no appointment can be recorded or cancelled",
            "Ce coffre n'est pas ouvert : on ne peut pas y noter ni y annuler de rendez-vous.",
            code="vault_not_open",
        )
