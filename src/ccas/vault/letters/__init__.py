"""Letters the CCAS GED pushes into vaults: validation, receipts, parking, delivery.

See docs/decisions/0010-ged-letters.md.
"""

#: Most letters one batch may carry.
BATCH_LIMIT = 500
