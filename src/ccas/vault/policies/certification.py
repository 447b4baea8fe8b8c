"""Policy ``certifying-organisations``: whose agents may certify the papers they deposit.

It edits the ``may_certify`` flag of the organisations registry (the same as
*Organisations* in the site setup) and re-computes the roster of the vaults
whose mandates name an agent of a changed organisation, so that the right
agents hold (or lose) the certifier role at once.  Switching it off brings
back the flags the organisations had before it was switched on.  Certifying
is always within a mandate with the deposit scope: it opens nothing.
"""

from ccas.vault import _
from ccas.vault.organisations import get_organisation
from ccas.vault.organisations import list_organisations
from ccas.vault.organisations import update_organisation
from ccas.vault.policies import registry
from ccas.vault.policies.base import RegistryPolicy
from ccas.vault.policies.errors import PolicyError
from plone.registry import field
from plone.registry import Record
from plone.registry.interfaces import IRegistry
from zope import schema
from zope.component import getUtility
import json


POLICY_ID = "certifying-organisations"
SAVED = f"{registry.PREFIX}/{POLICY_ID}.saved"  # the flags before the policy was switched on


def _flags():
    return {o.id: o.may_certify for o in list_organisations(include_disabled=True)}


def _set_flags(flags):
    """Set ``may_certify`` per organisation; return the ids changed."""
    changed = []
    for organisation_id, may in flags.items():
        organisation = get_organisation(organisation_id)
        if organisation is not None and organisation.may_certify != bool(may):
            update_organisation(organisation_id, may_certify=bool(may))
            changed.append(organisation_id)
    return changed


def _vaults_of(portal, organisation_ids):
    """Vaults whose active mandates name an agent of one of ``organisation_ids``."""
    from ccas.vault.lookup import vault_of

    found = {}
    brains = portal.portal_catalog.unrestrictedSearchResults(
        portal_type="Mandate", review_state="active"
    )
    for brain in brains:
        mandate = brain._unrestrictedGetObject()
        if set(dict(mandate.organisations).values()) & set(organisation_ids):
            vault = vault_of(mandate)
            found[vault.getId()] = vault
    return list(found.values())


def _resync(portal, organisation_ids):
    from ccas.vault.api.mandates import sync

    for vault in _vaults_of(portal, organisation_ids):
        sync(vault)


class CertifyingOrganisations(RegistryPolicy):
    id = POLICY_ID
    title = _("Certification: organisations whose agents certify")
    description = _(
        "The organisations whose agents may certify the papers they deposit under a "
        "mandate with the deposit scope. The same flag is shown in Organisations."
    )
    options = (
        schema.List(
            __name__="organisations",
            title=_("Organisations whose agents may certify"),
            value_type=schema.TextLine(),
            default=[],
            required=False,
        ),
    )

    def option_choices(self, name):
        """The organisations to choose from (for forms)."""
        return [o.id for o in list_organisations(include_disabled=True)]

    def current_options(self, portal):
        return {"organisations": sorted(i for i, may in _flags().items() if may)}

    def reverted_options(self, portal):
        reg = getUtility(IRegistry)
        if not self.is_active(portal) or SAVED not in reg.records:
            return self.current_options(portal)
        saved = json.loads(reg.records[SAVED].value or "{}")
        return {"organisations": sorted(i for i, may in saved.items() if may)}

    def validate(self, options):
        options = super().validate(options)
        unknown = [i for i in options["organisations"] if get_organisation(i) is None]
        if unknown:
            raise PolicyError(
                f"Unknown organisations: {', '.join(unknown)}",
                f"Ces organismes n'existent pas : {', '.join(unknown)}.",
                "bad_options",
                {"organisations": ("Unknown organisation.", "Organisme inconnu.")},
            )
        return options

    def _apply(self, portal, options):
        reg = getUtility(IRegistry)
        if not self.is_active(portal):
            saved = json.dumps(_flags(), sort_keys=True)
            if SAVED in reg.records:
                reg.records[SAVED].value = saved
            else:
                reg.records[SAVED] = Record(field.Text(title="Flags before the policy"), saved)
        chosen = set(options["organisations"])
        _resync(portal, _set_flags({i: i in chosen for i in _flags()}))

    def _revert(self, portal):
        reg = getUtility(IRegistry)
        if not self.is_active(portal) or SAVED not in reg.records:
            return
        saved = json.loads(reg.records[SAVED].value or "{}")
        _resync(portal, _set_flags(saved))

    def _preview(self, portal, active, options):
        if active:
            chosen = set(options["organisations"])
            changed = [i for i, may in _flags().items() if may != (i in chosen)]
        else:
            reg = getUtility(IRegistry)
            saved = json.loads(reg.records[SAVED].value or "{}") if SAVED in reg.records else {}
            flags = _flags()
            changed = [i for i, may in saved.items() if flags.get(i, may) != may]
        return {
            "objects": len(_vaults_of(portal, changed)),
            "organisations": sorted(changed),
        }


policy = CertifyingOrganisations()
