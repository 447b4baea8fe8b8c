"""Certified papers are immutable: a guard behind the workflow's permissions.

The workflow already denies ``Modify portal content`` on certified papers and
the file field needs a permission nobody holds.  This subscriber is the last
line: whatever route modifies a certified paper (a form, a REST PATCH, a
paper made valid again by the clock) and fires ``IObjectModifiedEvent``, a
change to what the seal covers (the bytes, the document type) is refused and
the transaction aborted.  The integrity check (``ccas-vault-integrity``)
catches the routes that fire no event.
"""

from ccas.vault.certification.integrity import blob_sha256
from zExceptions import Forbidden


#: Raised for a change to the sealed part of a certified paper.  Plain
#: ``Forbidden`` (not a subclass) so that every publisher answers 403.
CertifiedPaperChanged = Forbidden


def sealed_change(document):
    """What differs between ``document`` and its seal, as a list of field names."""
    certification = getattr(document, "certification", None)
    if not certification:
        return []
    changed = []
    file = getattr(document, "file", None)
    if file is None or blob_sha256(file) != certification.get("sha256"):
        changed.append("file")
    if (document.sha256 or "") != certification.get("sha256"):
        changed.append("sha256")
    if (document.document_type or "") != certification.get("document_type", ""):
        changed.append("document_type")
    return changed


def refuse_sealed_changes(document, event):
    """``IObjectModifiedEvent`` subscriber: refuse changes to a certified paper's sealed fields."""
    changed = sealed_change(document)
    if changed:
        raise CertifiedPaperChanged(
            "A certified paper cannot be modified (" + ", ".join(changed) + "); replace it "
            "by a newer version instead. / Un papier certifié ne peut pas être modifié : "
            "remplacez-le par une nouvelle version."
        )
