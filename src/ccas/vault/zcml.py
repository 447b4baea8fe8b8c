"""The ``ccasvault:registerProfile`` ZCML directive.

It registers a GenericSetup profile of this package whose folder lies in
:func:`ccas.vault.profiles_dir`, wherever the package was installed from.
"""

from ccas.vault import profiles_dir
from Products.GenericSetup.zcml import IRegisterProfileDirective
from Products.GenericSetup.zcml import registerProfile as gs_register_profile


class IRegisterVaultProfileDirective(IRegisterProfileDirective):
    """Same fields as ``genericsetup:registerProfile``; ``directory`` is
    relative to the profiles folder and defaults to the profile name."""


def register_profile(_context, name="default", directory=None, **kwargs):
    path = profiles_dir() / (directory or name)
    if not (path / "metadata.xml").is_file():
        raise ValueError(f"ccas.vault: profile folder {path} has no metadata.xml")
    gs_register_profile(_context, name=name, directory=str(path), **kwargs)
