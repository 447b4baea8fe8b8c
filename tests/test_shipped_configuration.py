"""The test layers run the configuration the instances ship (decision 0031).

A Zope instance's ``site.zcml`` redefines ``zope2.Public`` as ``zope2.View``
for everything loaded after it, and ``zope.conf`` runs AccessControl's C
implementation.  plone.testing's own startup does neither; the add-on's layers
do both, so that every access test sees what production sees.  A page of the
add-on inside a vault is never left to ``zope2.Public``: a mandated agent holds
no View on a vault, and the instance would refuse them at traversal.
"""

from ccas.vault.scripts.instance import SITE_ZCML_PRELUDE
from ccas.vault.scripts.instance import write_instance
from zope.component import getGlobalSiteManager
from zope.interface import Interface


REDEFINITION = '<meta:redefinePermission from="zope2.Public" to="zope2.View" />'
VAULT_INTERFACES = (
    "ccas.vault.content.vault_directory.IVaultDirectory",
    "ccas.vault.content.vault.IVault",
    "ccas.vault.content.spaces.IVaultSpace",
    "ccas.vault.content.spaces.ISharedSpace",
    "ccas.vault.content.spaces.IPrivateSpace",
    "ccas.vault.content.vault_document.IVaultDocument",
    "ccas.vault.content.mandate.IMandate",
)


def _dotted(interface):
    return f"{interface.__module__}.{interface.__name__}"


def add_on_views():
    """``(name, required interface, view class)`` of every named multi-adapter of the
    add-on (browser pages and REST services) registered on a content interface."""
    for registration in getGlobalSiteManager().registeredAdapters():
        factory = registration.factory
        modules = {base.__module__ for base in getattr(factory, "__mro__", ())}
        if not any(module.startswith("ccas.vault.") for module in modules):
            continue
        if len(registration.required) != 2 or registration.provided is not Interface:
            continue
        yield registration.name, registration.required[0], factory


def permission_of(view_class):
    """The permission protecting a view class, as Zope checks it at traversal;
    ``None`` for a public one."""
    roles = getattr(view_class, "__roles__", None)
    return getattr(roles, "__name__", None)  # PermissionRole: the permission's title


def test_the_layers_run_accesscontrol_c_implementation(integration):
    from AccessControl.Implementation import getImplementationName

    assert getImplementationName() == "C"


def test_the_functional_layer_serves_requests_on_the_c_implementation(functional):
    from AccessControl import ZopeSecurityPolicy
    from AccessControl.ImplC import ZopeSecurityPolicy as CPolicy

    assert ZopeSecurityPolicy.ZopeSecurityPolicy is CPolicy


def test_the_layers_load_the_instances_own_prelude(tmp_path):
    write_instance(tmp_path / "instance")
    site_zcml = (tmp_path / "instance" / "etc" / "site.zcml").read_text()
    assert SITE_ZCML_PRELUDE in site_zcml
    assert REDEFINITION in SITE_ZCML_PRELUDE


def test_zope2_public_pages_need_view_in_the_layers_as_on_an_instance(integration):
    """The site-root pages registered ``zope2.Public`` (the public verifier, the share
    link page) are protected by View once redefined, as on a real instance."""
    views = {(name, _dotted(iface)): cls for name, iface, cls in add_on_views()}
    verifier = views[("verifier", "Products.CMFCore.interfaces.ISiteRoot")]
    assert permission_of(verifier) == "View"
    link = views[("lien", "plone.base.interfaces.siteroot.INavigationRoot")]
    assert permission_of(link) == "View"
    # a relative opens the invitation without an account (decision 0049): View, which every
    # visitor holds on the site root; the safes they help with need an account
    invitation = views[("coffre-invitation", "plone.base.interfaces.siteroot.INavigationRoot")]
    assert permission_of(invitation) == "View"
    helped = views[("coffre-coffres-aides", "plone.base.interfaces.siteroot.INavigationRoot")]
    assert permission_of(helped) == "ccas.vault: Reach vault pages"


def test_no_page_or_service_inside_a_vault_needs_view(integration):
    """Every page and service of the add-on on a vault, space, paper or mandate is
    protected by a permission of the add-on: ``View`` (``zope2.Public`` redefined)
    would refuse every mandated agent there.  Two exceptions, on purpose: the vault's
    "Mes partages" is the owner's own page (View on the vault is the owner's), and
    ``@@images`` on a paper is public because it refuses everything (no scales)."""
    inside = [
        (name, _dotted(iface), permission_of(cls))
        for name, iface, cls in add_on_views()
        if _dotted(iface) in VAULT_INTERFACES
    ]
    assert len(inside) > 40
    others = {entry for entry in inside if not (entry[2] or "").startswith("ccas.vault: ")}
    assert others == {
        ("mes-partages", "ccas.vault.content.vault.IVault", "View"),
        ("images", "ccas.vault.content.vault_document.IVaultDocument", None),
    }
    reached = {entry[0] for entry in inside if entry[2] == "ccas.vault: Reach vault pages"}
    assert {"feuille-accueil", "aide-compte", "identity-check", "rendez-vous"} <= reached
    assert {"GET_application_json_@mandates", "POST_application_json_@assisted-reset"} <= reached


def test_every_account_reaches_vault_pages_and_nobody_else(integration):
    """``Reach vault pages`` lets every logged-in account traverse to a vault's pages,
    whose own code then decides; anonymous visitors are stopped at traversal."""
    portal = integration["portal"]
    roles = {
        role["name"]
        for role in portal.rolesOfPermission("ccas.vault: Reach vault pages")
        if role["selected"]
    }
    assert roles == {"Authenticated"}
