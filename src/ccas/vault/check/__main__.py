"""``python -m ccas.vault.check``: the same as ``ccas-vault-check``."""

from ccas.vault.check.cli import main
import sys


sys.exit(main())
