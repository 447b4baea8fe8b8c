"""GED receipts ↔ documents (:mod:`ccas.vault.letters.receipts`).

- each ``delivered`` receipt leads to exactly one document, in its vault, with
  the receipt's UID and SHA-256 (of the delivered bytes: the PAdES-signed PDF
  keeps it in ``certification["delivered_seal"]``, decision 0014) — unless
  the vault was closed (its papers are gone with it) or the document was
  deleted (a ``delete`` entry of the vault's history names it);
- no receipt names a document another receipt names;
- every paper of origin ``ged`` has its delivered receipt (or replaces, through
  ``replaces``, a paper that has one); one without a receipt holding the same
  bytes as a delivered letter of the same vault is that letter *delivered twice*.
"""

from Acquisition import aq_base
from ccas.vault.check.site import path_of
from plone.uuid.interfaces import IUUID


def delivered_sha256(document):
    """The SHA-256 of the bytes delivered (a receipt's): before the PAdES signature, if any."""
    certification = getattr(document, "certification", None) or {}
    delivered = certification.get("delivered_seal") or {}
    return delivered.get("sha256") or getattr(document, "sha256", "")


class _Paper:
    __slots__ = ("path", "replaces", "sha256", "title", "uid", "vault_id")

    def __init__(self, obj, path, vault):
        self.path = path
        self.uid = IUUID(obj, None)
        self.vault_id = vault.getId() if vault is not None else None
        self.sha256 = delivered_sha256(obj)
        self.replaces = getattr(obj, "replaces", None)
        self.title = getattr(obj, "title", "")


class ReceiptsCheck:
    family = "receipts"

    def __init__(self, site, report, repair=()):
        from ccas.vault.content.vault_document import IVaultDocument

        self.site = site
        self.report = report
        self.is_document = IVaultDocument.providedBy
        self.papers = {}  # UID -> _Paper (every VaultDocument)
        self.ged = []  # _Paper of origin "ged"
        self.vaults = {}  # vault id -> vault

    def visit(self, obj, path, vault):
        if vault is not None and obj is vault:
            self.vaults[obj.getId()] = obj
        if not self.is_document(obj):
            return
        paper = _Paper(obj, path, vault)
        if paper.uid:
            self.papers.setdefault(paper.uid, paper)
        if getattr(obj, "origin", None) == "ged":
            self.ged.append(paper)

    def _store(self):
        from ccas.vault.letters.receipts import RECEIPTS
        from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID

        directory = self.site.get(VAULT_DIRECTORY_ID)
        if directory is None:
            return None
        return getattr(aq_base(directory), RECEIPTS, None)

    def _deleted(self, vault, uid):
        """Whether the vault's history records the deletion of the paper ``uid``."""
        from ccas.vault.history.storage import get_history

        history = get_history(vault)
        if history is None or not uid:
            return False
        return any(entry.action == "delete" and entry.target_uid == uid for entry in history)

    def finish(self):
        from ccas.vault.letters.receipts import DELIVERED

        store = self._store()
        receipts = list(store.items()) if store is not None else []
        self.report.count("receipts", len(receipts))
        site_path = path_of(self.site)
        delivered = {}  # document UID -> reference
        for reference, receipt in receipts:
            if getattr(receipt, "status", None) != DELIVERED:
                continue
            where = f"GED {reference}"
            uid = receipt.document_uid
            vault = self.vaults.get(receipt.vault_id)
            if vault is None:
                continue  # a closed vault: its papers went with it
            other = delivered.setdefault(uid, reference)
            if other != reference:
                self.report.add(
                    "receipt_wrong_document",
                    where,
                    f"names the document {uid}, already named by the receipt of {other}",
                    f"désigne le document {uid}, déjà désigné par l'accusé de {other}",
                )
                continue
            paper = self.papers.get(uid)
            if paper is None:
                if self._deleted(vault, uid):
                    continue
                self.report.add(
                    "receipt_without_document",
                    where,
                    f"delivered to the vault {receipt.vault_id} as "
                    f"{site_path}{receipt.document_path}, which does not exist",
                    f"remis au coffre {receipt.vault_id} comme "
                    f"{site_path}{receipt.document_path}, qui n'existe pas",
                )
            elif paper.vault_id != receipt.vault_id or paper.sha256 != receipt.sha256:
                self.report.add(
                    "receipt_wrong_document",
                    where,
                    f"its document {paper.path} is not the letter delivered to the vault "
                    f"{receipt.vault_id} (vault {paper.vault_id}, SHA-256 {paper.sha256})",
                    f"son document {paper.path} n'est pas le courrier remis au coffre "
                    f"{receipt.vault_id} (coffre {paper.vault_id}, SHA-256 {paper.sha256})",
                )
        by_bytes = {}  # (vault id, sha256) -> reference, of the delivered letters
        for uid, reference in delivered.items():
            paper = self.papers.get(uid)
            if paper is not None:
                by_bytes[(paper.vault_id, paper.sha256)] = reference
        self.report.count("GED letters", len(self.ged))
        for paper in self.ged:
            if self._receipted(paper, delivered):
                continue
            twin = by_bytes.get((paper.vault_id, paper.sha256))
            if twin is not None:
                self.report.add(
                    "delivered_twice",
                    paper.path,
                    f"the GED letter {twin} delivered a second time in the vault "
                    f"{paper.vault_id} (no receipt names this copy)",
                    f"le courrier GED {twin} remis une seconde fois dans le coffre "
                    f"{paper.vault_id} (aucun accusé ne désigne cette copie)",
                )
            else:
                self.report.add(
                    "document_without_receipt",
                    paper.path,
                    "a GED letter that no delivered receipt names",
                    "un courrier GED qu'aucun accusé de remise ne désigne",
                )

    def _receipted(self, paper, delivered):
        """Whether ``paper`` or a version it replaces is named by a delivered receipt."""
        seen = set()
        while paper is not None and paper.uid not in seen:
            if paper.uid in delivered:
                return True
            seen.add(paper.uid)
            paper = self.papers.get(paper.replaces) if paper.replaces else None
        return False
