"""At process start, say loudly when no master key can be found (papers would not be served).

A command that makes the key itself (``ccas-vault-instance site``: the add-on's install
creates it) starts Zope inside :func:`deferred` and calls :func:`check_master_key` once
its work is done, so a new site's log does not cry wolf one second before the key exists.
"""

from ccas.vault.encryption import keys
from ccas.vault.encryption.errors import EncryptionError
import contextlib
import logging


logger = logging.getLogger("ccas.vault.encryption")

_deferred = False


@contextlib.contextmanager
def deferred():
    """Skip the check at process start within this block (the caller checks afterwards)."""
    global _deferred
    _deferred = True
    try:
        yield
    finally:
        _deferred = False


def check_at_start(event=None):
    """``IProcessStarting``: :func:`check_master_key`, unless inside :func:`deferred`."""
    if not _deferred:
        check_master_key()


def check_master_key(event=None):
    """Log an error when neither ``$CCAS_VAULT_MASTER_KEY`` nor the key directory holds the
    current master key; return whether one was found.  Nothing is served or stored without it
    (every read and write raises ``MasterKeyMissing``)."""
    try:
        master_id = keys.current_master_id()
        if master_id is not None:
            keys.master_key(master_id)
            return True
        problem = "no master key"
    except EncryptionError as error:
        problem = str(error)
    logger.error(
        "encryption at rest: %s (%s, or master-current in %s, unless the key_directory setting "
        "points elsewhere): no paper will be read or stored",
        problem,
        keys.ENV_VAR,
        keys.key_directory(),
    )
    return False
