"""Adding the add-on's PAS plugins: each one first among the plugins of its interface."""


def install_first(pas, plugin_id, make, interface):
    """Add ``make()`` as ``plugin_id`` to ``pas`` if missing, activate it for ``interface``
    and move it first there (idempotent)."""
    if plugin_id not in pas.objectIds():
        pas._setObject(plugin_id, make())
    plugins = pas.plugins
    if plugin_id not in plugins.listPluginIds(interface):
        plugins.activatePlugin(interface, plugin_id)
    while plugins.listPluginIds(interface)[0] != plugin_id:
        plugins.movePluginsUp(interface, [plugin_id])


def remove(pas, plugin_id):
    """Remove ``plugin_id`` from ``pas`` if it is there."""
    if plugin_id in pas.objectIds():
        pas._delObject(plugin_id)
