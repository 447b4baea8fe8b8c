"""1006 → 1007: the indicators are counted when things happen (issue 20, decision 0044).

Before 1007 the indicators were recomputed from the vaults still there, so a vault
deleted by the clock took its past logins, papers and consents with it.  From 1007 on
they are monthly counters written when things happen; this step fills them once from
what is still there (every vault's history, the tombstones of the vaults deleted
before).  Running it twice in a row gives the same counters; it is not meant to run later
(a vault deleted since, or a tombstone purged, would then be missing from the past).
"""

from ccas.vault.indicators.store import rebuild
import logging


logger = logging.getLogger("ccas.vault.upgrades")


def upgrade(context):
    replayed = rebuild()
    logger.info("ccas.vault upgraded to 1007: indicators counted from %d vaults", replayed)
