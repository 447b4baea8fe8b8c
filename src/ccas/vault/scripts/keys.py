"""``ccas-vault-keys``: show or rotate the CCAS seal keys.

Usage::

    ccas-vault-keys ZOPE_CONF [--site ccas] [show | rotate]
    ccas-vault-keys ZOPE_CONF [--site ccas] rotate-master | encrypt-existing
    ccas-vault-keys ZOPE_CONF [--site ccas] rotate-vault VAULT_ID

``show`` lists the keys of the key directory (id, current, private key
present, certificate subject and end of validity).  ``rotate`` creates a new
key and makes it current; the old certificates stay, so the seals they
signed still verify (their private keys may then be deleted by hand).  The
key directory is ``$CCAS_VAULT_KEY_DIR``, else the site's ``key_directory``
setting, else ``var/ccas-vault-keys`` next to the instance: the site is
opened (read-only) only to read that setting and the site title.

Encryption at rest (``ccas.vault.encryption``, committed): ``rotate-master``
creates a new master key, re-wraps every data key under it, commits, then
removes the master keys nothing uses any more (safe to run again after a
crash); ``rotate-vault`` gives one vault a new data key and re-encrypts its
files; ``encrypt-existing`` encrypts the files stored before encryption.
"""

import argparse
import sys


def run(action, directory=None):
    """Do ``action`` (show / rotate) on the key directory; return the printed lines."""
    from ccas.vault.certification import keys

    lines = []
    if action == "rotate":
        key_id = keys.rotate_key(directory)
        lines.append(f"keys: new current key {key_id}")
    for info in keys.describe(directory):
        flags = ("current " if info.current else "") + (
            "private" if info.has_private_key else "certificate only"
        )
        lines.append(f"{info.key_id}  {flags}  {info.subject}  until {info.not_after}")
    lines.append(f"keys: {keys.key_directory() if directory is None else directory}")
    return lines


ENCRYPTION_ACTIONS = ("rotate-master", "rotate-vault", "encrypt-existing")


def run_encryption(action, site, vault_id=None, directory=None):
    """Do an encryption ``action`` on ``site`` and commit; return the printed lines."""
    from ccas.vault.encryption import keys as encryption_keys
    from ccas.vault.encryption import migrate
    import transaction

    if action == "rotate-master":
        if encryption_keys._env_master() is not None:
            raise SystemExit(
                f"keys: the master key comes from {encryption_keys.ENV_VAR}: put the new key "
                "there and keep the old one as a key file, then run rotate-master again"
            )
        done = migrate.rotate_master(directory, site)
        transaction.commit()  # the re-wrapped keys are safe before any master key goes
        removed = migrate.remove_unused_masters(directory, site)
        return [
            f"keys: new master key {done['master']}, {done['rewrapped']} data keys re-wrapped",
            f"keys: removed master keys: {', '.join(removed) or '-'}",
        ]
    if action == "rotate-vault":
        from ccas.vault.api.vaults import vault_directory

        vault = vault_directory().get(vault_id or "")
        if vault is None:
            raise SystemExit(f"keys: vault not found: {vault_id}")
        count = migrate.rotate_vault(vault)
        transaction.commit()
        return [f"keys: vault {vault_id}: new data key, {count} files re-encrypted"]
    encryption_keys.ensure_master(directory)
    count = migrate.encrypt_existing(site)
    transaction.commit()
    return [f"keys: {count} files encrypted"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ccas-vault-keys", description=__doc__.splitlines()[0])
    parser.add_argument("zope_conf")
    parser.add_argument(
        "action", nargs="?", default="show", choices=("show", "rotate", *ENCRYPTION_ACTIONS)
    )
    parser.add_argument("vault_id", nargs="?", help="rotate-vault: the id of the vault")
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    args = parser.parse_intermixed_args(argv)  # the action may come after --site
    from ccas.vault.certification.integrity import _opened
    from zope.component.hooks import getSite
    from zope.component.hooks import setSite

    with _opened(args.zope_conf) as app:
        previous = getSite()
        try:
            setSite(app.unrestrictedTraverse(args.site))
        except (AttributeError, KeyError) as error:
            print(f"keys: site not found: {error}", file=sys.stderr)
            return 2
        try:
            if args.action in ENCRYPTION_ACTIONS:
                lines = run_encryption(args.action, getSite(), args.vault_id)
            else:
                lines = run(args.action)
        finally:
            setSite(previous)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
