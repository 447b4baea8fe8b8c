"""ccas.vault: a coffre-fort numérique for the beneficiaries of a CCAS."""

from pathlib import Path
from zope.i18nmessageid import MessageFactory


PACKAGE_NAME = "ccas.vault"

_ = MessageFactory(PACKAGE_NAME)


def profiles_dir() -> Path:
    """Return the folder that holds the GenericSetup profiles.

    Installed from a wheel, the profiles are the data package
    ``ccas/vault/profiles``; in a source checkout they are the top-level
    ``profiles/`` folder, three levels above this file (``src/ccas/vault``).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "profiles", here.parents[2] / "profiles"):
        if (candidate / "default" / "metadata.xml").is_file():
            return candidate
    raise RuntimeError(f"ccas.vault: no GenericSetup profiles found near {here}")
