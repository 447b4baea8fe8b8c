"""``ccas-vault-keys``: show or rotate the CCAS seal keys.

Usage::

    ccas-vault-keys ZOPE_CONF [--site ccas] [show | rotate]

``show`` lists the keys of the key directory (id, current, private key
present, certificate subject and end of validity).  ``rotate`` creates a new
key and makes it current; the old certificates stay, so the seals they
signed still verify (their private keys may then be deleted by hand).  The
key directory is ``$CCAS_VAULT_KEY_DIR``, else the site's ``key_directory``
setting, else ``var/ccas-vault-keys`` next to the instance: the site is
opened (read-only) only to read that setting and the site title.
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


def main(argv=None):
    parser = argparse.ArgumentParser(prog="ccas-vault-keys", description=__doc__.splitlines()[0])
    parser.add_argument("zope_conf")
    parser.add_argument("action", nargs="?", default="show", choices=("show", "rotate"))
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
            lines = run(args.action)
        finally:
            setSite(previous)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
