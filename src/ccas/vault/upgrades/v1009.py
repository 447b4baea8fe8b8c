"""1008 → 1009: personal mandataries, partner connectors, the counter's morning.

What the profile installs since 1008 (new settings, types, permissions) comes through
:func:`ccas.vault.upgrades.v1008.catch_up`, which completes the registry without
overwriting what records managers changed; each function of :data:`MIGRATIONS` then
brings the data of existing sites to what the new code expects.  Every one is
idempotent (docs/upgrades.md).
"""

from ccas.vault.upgrades import v1009_counter_morning
from ccas.vault.upgrades.v1008 import catch_up


#: Data migrations of this step, run in order after the catch-up.
MIGRATIONS = (*v1009_counter_morning.MIGRATIONS,)


def upgrade(context):
    catch_up()
    for migration in MIGRATIONS:
        migration()
