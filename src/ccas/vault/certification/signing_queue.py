"""The PAdES signing queue of GED letters (decision 0014).

A letter the GED delivers is certified at once (the Ed25519 seal of the
delivered bytes, the ``certify`` history line), but its PAdES signature, which
costs ~15 ms of pyHanko per PDF, is not made in the GED's request: the paper's
certification says ``pades_pending`` and its UID waits in a queue (an
``OOBTree`` UID -> small dict on the vault directory: letters of concurrent
batches insert distinct keys, which BTrees resolve without conflict).

``drain()`` (the clock job, ``ccas-vault-sign-queue``) signs the queued
letters, **each in its own transaction**: it stores the signed PDF,
``document.sha256`` becomes the hash of the signed bytes, a second seal (same
certifier, same certification date, for the signed bytes, ``deposited_sha256``
still the delivered bytes) goes to the registry — the first seal stays there,
so both hashes verify — and the vault's history gets a ``pdf_signed`` line.
The queue entry is removed in the same transaction: a crash before the commit
leaves the letter queued (signed again next time, from the same stored bytes),
a second drain finds nothing to do.  A PDF pyHanko cannot sign keeps its seal
(``pdf_signed: false``, ``pades_failed``), goes to the *failed* tree and is
reported (``pdf_signing_failed`` history line, exit status 1 of the script);
an unexpected error is retried at the next drains, ``MAX_ATTEMPTS`` times at
most, then failed the same way.

Usage::

    ccas-vault-sign-queue ZOPE_CONF [--site ccas] [--limit N]
"""

# Before ccas.vault.security: AccessControl.SpecialUsers.system stays None until
# AccessControl.users is imported (a script imports it late).
from AccessControl import users  # noqa: F401
from BTrees.OOBTree import OOBTree
from ccas.vault.certification import pades
from ccas.vault.certification import registry
from ccas.vault.certification.seal import make_seal
from ccas.vault.certification.seal import now_iso
from ccas.vault.encryption.blobs import encrypted_file
from dataclasses import dataclass
from dataclasses import field
from plone import api
from ZODB.POSException import ConflictError
import argparse
import hashlib
import logging
import sys
import transaction


logger = logging.getLogger("ccas.vault.signing_queue")

QUEUE = "_ccas_pades_queue"  # UID -> {"queued_at", "attempts"}
FAILED = "_ccas_pades_failed"  # UID -> {"failed_at", "reason", "message", "attempts"}
ACTOR = "ccas-vault-sign-queue"  # the history names the queue, not a person
MAX_ATTEMPTS = 3  # unexpected errors; a PDF pyHanko refuses fails at once
CONFLICT_RETRIES = 3
PDF = "application/pdf"


def _directory():
    from ccas.vault.api.vaults import vault_directory

    return vault_directory()


def _tree(name, create=False):
    directory = _directory()
    tree = getattr(directory, name, None)
    if tree is None and create:
        tree = OOBTree()
        setattr(directory, name, tree)
    return tree


def enqueue(document):
    """Mark ``document`` (just sealed, not PAdES-signed) ``pades_pending`` and queue it."""
    document.certification["pades_pending"] = True
    _tree(QUEUE, create=True)[document.UID()] = {"queued_at": now_iso(), "attempts": 0}


def pending():
    """UIDs waiting to be signed, oldest key order (UIDs)."""
    tree = _tree(QUEUE)
    return [] if tree is None else list(tree.keys())


def failed():
    """``{uid: info}`` of the letters whose PDF could not be signed (they keep their seal)."""
    tree = _tree(FAILED)
    return {} if tree is None else {uid: dict(info) for uid, info in tree.items()}


def _document(uid):
    catalog = api.portal.get().portal_catalog
    for brain in catalog.unrestrictedSearchResults(UID=uid):
        return brain._unrestrictedGetObject()
    return None


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _record(document, action, details):
    from ccas.vault.history import api as history
    from ccas.vault.lookup import vault_of

    vault = vault_of(document)
    if vault is not None:
        history.record(vault, action, actor=ACTOR, target=document, details=details)


def _fail(uid, document, reason, message, attempts):
    """Keep the seal alone (``pdf_signed: false``), file the letter as failed, trace it."""
    queue = _tree(QUEUE, create=True)
    if uid in queue:
        del queue[uid]
    _tree(FAILED, create=True)[uid] = {
        "failed_at": now_iso(),
        "reason": reason,
        "message": message[:500],
        "attempts": attempts,
    }
    if document is not None and document.certification:
        certification = document.certification
        certification.pop("pades_pending", None)
        certification["pdf_signed"] = False
        certification["pades_failed"] = reason
        _record(document, "pdf_signing_failed", {"reason": reason})
    logger.warning("PAdES signature of %s failed (%s): %s", uid, reason, message)


def sign_queued(uid):
    """Sign the queued letter ``uid`` (no commit); ``"signed"``, ``"failed"``, ``"gone"`` or
    ``"done"`` (nothing queued or nothing pending: a second drain)."""
    from ccas.vault.certification.certify import _reason
    from ccas.vault.certification.keys import seal_name
    from ccas.vault.security import as_system

    queue = _tree(QUEUE)
    entry = None if queue is None else queue.get(uid)
    if entry is None:
        return "done"
    document = _document(uid)
    if document is None:  # deleted (or its vault closed) before it was signed
        del queue[uid]
        return "gone"
    certification = document.certification
    if not certification or not certification.get("pades_pending"):
        del queue[uid]
        return "done"
    file = document.file
    data = file.data
    attempts = entry.get("attempts", 0) + 1
    if file.contentType != PDF or _sha256(data) != certification["sha256"]:
        # Never sign bytes the seal does not cover.
        _fail(uid, document, "not_the_sealed_pdf", "stored bytes differ from the seal", attempts)
        return "failed"
    who = {"by": certification["by"], "by_fullname": certification["by_fullname"]}
    try:
        signed = pades.sign_pdf(
            data,
            reason=_reason(who, certification["organisation_title"]),
            location=seal_name(),
        )
    except pades.PdfSigningFailed as error:
        _fail(uid, document, "pdf_signing_failed", str(error), attempts)
        return "failed"
    stored = _sha256(signed)
    seal = make_seal(
        sha256=stored,
        deposited_sha256=certification["deposited_sha256"],
        document_type=certification["document_type"],
        by=certification["by"],
        by_fullname=certification["by_fullname"],
        organisation=certification["organisation"],
        organisation_title=certification["organisation_title"],
        origin=certification["origin"],
        certified_at=certification["at"],  # the certification itself happened then
    )
    with as_system():
        document.file = encrypted_file(signed, PDF, file.filename, container=document)
        document.sha256 = stored
        # The seal of the delivered bytes stays in the registry and on the paper.
        certification["delivered_seal"] = {
            "sha256": certification["sha256"],
            "payload": certification["payload"],
            "signature": certification["signature"],
            "key_id": certification["key_id"],
        }
        certification.pop("pades_pending", None)
        certification.update(sha256=stored, pdf_signed=True, **seal)
        registry.register(seal)
        _record(
            document,
            "pdf_signed",
            {
                "sha256": stored,
                "delivered_sha256": certification["delivered_seal"]["sha256"],
                "key_id": seal["key_id"],
            },
        )
    del queue[uid]
    return "signed"


@dataclass
class DrainReport:
    signed: int = 0
    failed: list = field(default_factory=list)  # UIDs failed in this drain
    gone: int = 0
    retried: int = 0  # transactions redone after a ConflictError
    errors: int = 0  # unexpected errors (the letter stays queued, MAX_ATTEMPTS at most)
    left: int = 0  # still queued after the drain

    def summary(self):
        return (
            f"sign-queue: {self.signed} signed, {len(self.failed)} failed, {self.gone} gone, "
            f"{self.errors} error(s), {self.left} left"
        )


def _count_error(uid, error):
    """An unexpected error: count the attempt (own transaction); fail after MAX_ATTEMPTS."""
    queue = _tree(QUEUE)
    entry = None if queue is None else queue.get(uid)
    if entry is None:
        return False
    attempts = entry.get("attempts", 0) + 1
    if attempts >= MAX_ATTEMPTS:
        _fail(uid, _document(uid), "error", f"{type(error).__name__}: {error}", attempts)
        return True
    queue[uid] = {**entry, "attempts": attempts}
    return False


def drain(limit=None):
    """Sign the queued letters, each in its own committed transaction; a :class:`DrainReport`.

    Commits: call it from a script or the clock, never inside a request.
    """
    report = DrainReport()
    uids = pending()
    for uid in uids[:limit] if limit else uids:
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                outcome = sign_queued(uid)
                transaction.commit()
            except ConflictError:
                transaction.abort()
                report.retried += 1
                if attempt == CONFLICT_RETRIES:
                    report.errors += 1  # left queued: the next drain tries again
                continue
            except Exception as error:
                transaction.abort()
                logger.exception("PAdES signature of %s: unexpected error", uid)
                report.errors += 1
                try:
                    if _count_error(uid, error):
                        report.failed.append(uid)
                    transaction.commit()
                except ConflictError:
                    transaction.abort()
                break
            if outcome == "signed":
                report.signed += 1
            elif outcome == "failed":
                report.failed.append(uid)
            elif outcome == "gone":
                report.gone += 1
            break
    report.left = len(pending())
    return report


def _opened_app(zope_conf):
    """The Zope application of ``zope_conf`` (see ``scripts.instance.opened_app``)."""
    from ccas.vault.scripts.instance import opened_app

    return opened_app(zope_conf)


def main(argv=None):
    from ccas.vault.security import as_system
    from zope.component.hooks import getSite
    from zope.component.hooks import setSite

    parser = argparse.ArgumentParser(
        prog="ccas-vault-sign-queue",
        description="PAdES-sign the GED letters waiting in the signing queue.",
    )
    parser.add_argument("zope_conf", metavar="ZOPE_CONF", help="the instance's zope.conf")
    parser.add_argument("--site", default="ccas", help="id of the Plone site (default: ccas)")
    parser.add_argument("--limit", type=int, help="sign at most this many letters")
    args = parser.parse_args(argv)
    with _opened_app(args.zope_conf) as app:
        if args.site not in app.objectIds():
            parser.error(f"no site {args.site!r} in this database")
        previous = getSite()
        setSite(app[args.site])
        try:
            transaction.begin()  # a fresh view of the database
            with as_system():
                report = drain(args.limit)
        finally:
            setSite(previous)
    print(report.summary())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
