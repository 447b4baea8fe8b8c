"""``ccas-vault-integrity``: re-read every stored paper, recompute its hash (NF Z42-013 practice).

Usage::

    ccas-vault-integrity ZOPE_CONF [--site ccas] [--path /ccas/coffres]

For every paper (``VaultDocument``, superseded versions included) the blob is
read again and its SHA-256 compared with the one recorded at deposit
(``document.sha256``); for a certified paper, also with the seal, whose
signature is checked with the CCAS certificate named by its key id.  Prints
one line per problem and a one-line summary for the cron mail; exits 0 when
everything matches, 1 on a mismatch, 2 when the site or path does not exist.
Read-only: the transaction is always aborted.

A paper whose master key is not on this server (a restore without the key
folder) is not a mismatch: it is printed ``KEY MISSING``, and the last lines
name the master keys to restore (``master-<id>.key``) and where they go.

``ccas-vault-check`` (:mod:`ccas.vault.check`, decision 0040) runs this check of
every paper (:func:`check_document`) among its others, and the in-server clock
runs it every night; this command stays for the crons that call it.

Cron (every Sunday at 04:30)::

    MAILTO=admin@ccas.example
    30 4 * * 0  zope  /srv/ccas/.venv/bin/ccas-vault-integrity /srv/ccas/var/instance/etc/zope.conf
"""

from dataclasses import dataclass
from dataclasses import field
import contextlib
import hashlib
import re
import sys


CHUNK = 1 << 20
_GC_EVERY = 500


def blob_sha256(file) -> str:
    """SHA-256 (hex) of a ``NamedBlobFile``, read in chunks from the blob storage."""
    digest = hashlib.sha256()
    blob = getattr(file, "_blob", None)
    if blob is None or getattr(file, "key_id", None):  # a non-blob NamedFile, or encrypted
        digest.update(file.data)
        return digest.hexdigest()
    with blob.open("r") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class IntegrityReport:
    """Papers checked, bytes read, and ``(path, problem)`` of every mismatch."""

    checked: int = 0
    certified: int = 0
    bytes_read: int = 0
    problems: list = field(default_factory=list)

    @property
    def missing_keys(self):
        """``{master id: papers}`` of the papers that could not be read for want of a key."""
        missing = {}
        for _path, problem in self.problems:
            if problem.startswith(KEY_MISSING):
                master_id = problem[len(KEY_MISSING) :].strip()
                missing[master_id] = missing.get(master_id, 0) + 1
        return missing

    @property
    def summary(self):
        missing = self.missing_keys
        unread = sum(missing.values())
        mismatches = len(self.problems) - unread
        status = "OK" if not self.problems else "MISMATCH" if mismatches else "KEY MISSING"
        line = (
            f"integrity {status}: {self.checked} papers ({self.certified} certified), "
            f"{self.bytes_read / 1_000_000:.1f} MB read, {mismatches} mismatches"
        )
        if unread:
            line += f", {unread} papers unread: key missing ({', '.join(sorted(missing))})"
        return line


#: How :func:`check_document` starts the problem of a paper whose master key is absent.
KEY_MISSING = "key missing: master key"


def missing_master_id(error):
    """The master key id named by a ``MasterKeyMissing``, else ``None``."""
    found = re.search(r"master key ([0-9a-f]{16})", str(error))
    return found.group(1) if found else None


def restore_advice(master_ids):
    """One sentence: which master key files to restore, and where."""
    from ccas.vault.certification.keys import key_directory

    names = ", ".join(f"master-{master_id}.key" for master_id in sorted(master_ids))
    return (
        f"restore {names} from the key backup into {key_directory()} "
        "(ccas-vault-backup restore --keys-from ...), or set CCAS_VAULT_MASTER_KEY"
    )


def check_document(document):
    """The problems of one paper, as short English strings (``[]`` when intact)."""
    from ccas.vault.certification.seal import check_seal
    from ccas.vault.encryption.errors import MasterKeyMissing

    problems = []
    file = getattr(document, "file", None)
    if file is None:
        return ["no file"]
    try:
        actual = blob_sha256(file)
    except MasterKeyMissing as error:
        return [f"{KEY_MISSING} {missing_master_id(error) or '?'}"]
    except Exception as error:  # POSKeyError (blob missing), OSError…
        return [f"blob unreadable: {error.__class__.__name__}"]
    if actual != document.sha256:
        problems.append(f"sha256 {actual} != recorded {document.sha256}")
    certification = getattr(document, "certification", None)
    if certification and certification.get("signature"):
        if actual != certification.get("sha256"):
            problems.append(f"sha256 {actual} != sealed {certification.get('sha256')}")
        check = check_seal(certification)
        if not check.valid:
            problems.append(f"seal {check.reason}")
        elif check.payload.get("sha256") != certification.get("sha256"):
            problems.append("seal payload differs from the paper's certification")
    return problems


def check_site(root):
    """Check every paper under ``root``; return an :class:`IntegrityReport`."""
    from ccas.vault.content.vault_document import IVaultDocument
    from ccas.vault.history.verify import iter_objects

    report = IntegrityReport()
    jar = getattr(root, "_p_jar", None)
    for count, obj in enumerate(iter_objects(root), start=1):
        if IVaultDocument.providedBy(obj):
            report.checked += 1
            if getattr(obj, "certification", None):
                report.certified += 1
            file = getattr(obj, "file", None)
            with contextlib.suppress(Exception):  # an unreadable blob is reported below
                report.bytes_read += file.getSize() if file is not None else 0
            for problem in check_document(obj):
                report.problems.append(("/".join(obj.getPhysicalPath()), problem))
        if jar is not None and count % _GC_EVERY == 0:
            jar.cacheGC()
    return report


def _opened(zope_conf):
    """The Zope root of ``zope_conf``, read only (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf, abort=True)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(
        prog="ccas-vault-integrity",
        description="Re-read every stored paper and compare its SHA-256 with the recorded one.",
    )
    parser.add_argument("zope_conf")
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument("--path", help="folder to check, from the Zope root (default: the site)")
    args = parser.parse_args(argv)
    from zExceptions import NotFound
    from zope.component.hooks import getSite
    from zope.component.hooks import setSite

    path = args.path or f"/{args.site}"
    with _opened(args.zope_conf) as app:
        previous = getSite()
        try:
            setSite(app.unrestrictedTraverse(args.site))
            root = app.unrestrictedTraverse(path.strip("/"))
        except (AttributeError, KeyError, NotFound) as error:
            print(f"integrity: not found: {error}", file=sys.stderr)
            setSite(previous)
            return 2
        try:
            report = check_site(root)
        finally:
            setSite(previous)
    for broken_path, problem in report.problems:
        label = "KEY MISSING" if problem.startswith(KEY_MISSING) else "MISMATCH"
        print(f"{label} {broken_path}: {problem}")
    if report.missing_keys:
        print(f"To read them again: {restore_advice(report.missing_keys)}.")
    print(report.summary)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
