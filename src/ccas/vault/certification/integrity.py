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
    def summary(self):
        status = "OK" if not self.problems else "MISMATCH"
        return (
            f"integrity {status}: {self.checked} papers ({self.certified} certified), "
            f"{self.bytes_read / 1_000_000:.1f} MB read, {len(self.problems)} mismatches"
        )


def check_document(document):
    """The problems of one paper, as short English strings (``[]`` when intact)."""
    from ccas.vault.certification.seal import check_seal

    problems = []
    file = getattr(document, "file", None)
    if file is None:
        return ["no file"]
    try:
        actual = blob_sha256(file)
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
        print(f"MISMATCH {broken_path}: {problem}")
    print(report.summary)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
