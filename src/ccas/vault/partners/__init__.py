"""Partners' drop folders: a partner (the CAF, the Département, an association) drops PDFs
with a manifest into its own folder; they are delivered as papers of origin ``partner``
naming the partner (issue 23, decision 0055).

Built on the GED letters' machinery (:mod:`ccas.vault.letters`: validation, receipts,
parking, the drop-folder import) with a letter source of its own (:mod:`.source`), and on
the connectors' framework (:mod:`ccas.vault.connectors`: switched on by the records
manager, the person's consent, the paper stored by ``connectors.delivery.deliver``).
"""

#: The push connector's name (its utility name, its registry records, its consents).
CONNECTOR = "partner-drop-folder"
#: The letter source utility's name; a partner's source id is ``partner:<organisation id>``.
SOURCE = "partner"
#: The manifest's column holding the partner's reference (unique per partner).
REFERENCE_COLUMN = "reference"
#: The environment variable naming the root of the partners' folders (clock, script default).
ROOT_VAR = "CCAS_VAULT_PARTNER_DROP_FOLDER"


def source_id(organisation_id):
    return f"{SOURCE}:{organisation_id}"
