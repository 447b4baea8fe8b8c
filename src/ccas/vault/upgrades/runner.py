"""Running the pending upgrade steps of ``ccas.vault:default`` from a script.

Used by ``ccas-vault-instance site`` (``make start``) and ``ccas-vault-instance
upgrade``: both say what they upgrade, from which version to which
(docs/deploy.md, "Upgrading").  The control panel (Site setup → Add-ons) runs the
same steps.
"""

PROFILE_ID = "ccas.vault:default"


class UpgradeIncomplete(Exception):
    """The steps ran but the profile did not reach the version of the code."""


def _version(value):
    if isinstance(value, (tuple, list)):
        return ".".join(value)
    return str(value)


def versions(site):
    """``(installed, target)`` versions of the profile on ``site`` (installed: ``None``
    when the add-on is not installed)."""
    setup = site.portal_setup
    installed = setup.getLastVersionForProfile(PROFILE_ID)
    target = setup.getVersionForProfile(PROFILE_ID)
    return (None if installed == "unknown" else _version(installed)), _version(target)


def upgrade(site, say=print):
    """Run the pending steps; return ``(from, to)``, or ``None`` when there was none.

    ``say`` is told the versions before the steps run (they may take minutes on a
    large site).  Raises :class:`UpgradeIncomplete` when the steps stop short."""
    from zope.component.hooks import setSite

    setSite(site)
    setup = site.portal_setup
    installed, target = versions(site)
    if installed is None or not setup.listUpgrades(PROFILE_ID):
        return None
    say(f"Upgrading ccas.vault: {installed} → {target} (upgrade steps running)")
    setup.upgradeProfile(PROFILE_ID)
    reached = versions(site)[0]
    if reached != target:
        raise UpgradeIncomplete(f"ccas.vault stopped at {reached}, the code is at {target}")
    return installed, reached
