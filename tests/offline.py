"""Deposit and read papers in a real instance's database, offline (run as a script).

    python tests/offline.py ZOPE_CONF deposit OWNER COUNT   # prints {path: sha256}
    python tests/offline.py ZOPE_CONF papers                # prints {path: {...}}

``deposit`` opens a consented vault for ``OWNER`` (a new login each time) and
deposits ``COUNT`` real PDFs in its shared space; every other one is certified
(sealed, PAdES-signed).  ``papers`` re-reads every paper of the site: the SHA-256
of its stored bytes, whether it is sealed, and the integrity check's problems.
Both open the database with ``opened_app`` like the ``ccas-vault-*`` scripts, so
they work with FileStorage and RelStorage alike (a RelStorage database may be
served by Zope at the same time).
"""

from pathlib import Path
import hashlib
import json
import sys


sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/vaults.py


def deposit(site, owner, count):
    from ccas.vault.api import documents
    from vaults import acting_as
    from vaults import consent_as_owner
    from vaults import deposit_as
    from vaults import make_agent
    from vaults import open_vault_as
    from vaults import pdf_bytes

    make_agent("accueil")
    make_agent("certificateur")
    vault = consent_as_owner(open_vault_as("accueil", owner, last=owner.title()))
    vault["partage"].manage_setLocalRoles("certificateur", ["VaultDepositor", "VaultCertifier"])
    stored = {}
    for number in range(count):
        paper = deposit_as(
            owner,
            vault["partage"],
            data=pdf_bytes(f"{owner} {number}"),
            filename=f"{owner}-{number}.pdf",
        )
        if number % 2 == 0:
            with acting_as("certificateur"):
                documents.certify(paper)
        stored["/".join(paper.getPhysicalPath())] = paper.sha256
    return stored


def papers(site):
    from ccas.vault.certification.integrity import check_document
    from ccas.vault.content.vault_document import IVaultDocument
    from ccas.vault.history.verify import iter_objects

    found = {}
    for obj in iter_objects(site):
        if IVaultDocument.providedBy(obj):
            found["/".join(obj.getPhysicalPath())] = {
                "sha256": hashlib.sha256(obj.file.data).hexdigest(),
                "recorded": obj.sha256,
                "sealed": bool((getattr(obj, "certification", None) or {}).get("signature")),
                "problems": check_document(obj),
            }
    return found


def main(zope_conf, command, *args):
    from ccas.vault.scripts.instance import opened_app
    from zope.component.hooks import setSite
    import transaction

    with opened_app(zope_conf, abort=command != "deposit") as app:
        site = app["ccas"]
        setSite(site)
        try:
            if command == "deposit":
                result = deposit(site, args[0], int(args[1]))
                transaction.commit()
            else:
                result = papers(site)
        finally:
            setSite(None)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main(*sys.argv[1:])
