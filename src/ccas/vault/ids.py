"""Random ids for vaults and papers: they say nothing about the person (URLs end up in logs)."""

import secrets


def new_id(container, prefix, nbytes):
    """An id ``<prefix>-<2*nbytes hex digits>`` not used in ``container``."""
    while True:
        candidate = f"{prefix}-{secrets.token_hex(nbytes)}"
        if candidate not in container:
            return candidate
