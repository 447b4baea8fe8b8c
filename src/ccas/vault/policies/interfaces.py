"""What a workflow policy is: a named, documented, reversible change of the site's rules."""

from zope.interface import Attribute
from zope.interface import Interface


class IWorkflowPolicy(Interface):
    """A switch records managers turn on or off (registered as a named utility).

    Applying and reverting are idempotent; both run as the system, after the
    caller checked ``ccas.vault: Manage settings``.  A policy never gives any
    role access to a private space or to a document without a mandate.

    Optional (used when present, see :mod:`ccas.vault.policies.base`):
    ``current_options(portal)`` (the options in force), ``validate(options)``
    (cleaned options or :class:`ccas.vault.policies.errors.PolicyError`),
    ``option_choices(name)`` (choices of a list option, for forms).  Callers
    go through :func:`ccas.vault.policies.apply.change`, which runs the
    access guard, records the state and traces the change.
    """

    id = Attribute("Identifier (the utility name), e.g. 'four-eyes-certification'")
    title = Attribute("Short title (an i18n message)")
    description = Attribute("What it changes, in plain words (an i18n message)")
    options = Attribute("zope.schema fields of its settings (a tuple; may be empty)")

    def is_active(portal):
        """True when the policy is applied on ``portal``."""

    def preview(portal, active, **options):
        """What applying ``active``/``options`` would change, without changing anything.

        Returns a dict: ``{"states": [...], "transitions": [...], "permissions":
        [(state, permission, roles_before, roles_after)], "objects": count,
        "settings": {name: (before, after)}}`` (keys with nothing to say may be empty).
        """

    def apply(portal, **options):
        """Switch the policy on (or change its options); idempotent."""

    def revert(portal):
        """Switch the policy off and bring the site back to the default rules; idempotent."""
