"""Importing the partners' drop folders: one sub-folder per partner under a root folder.

::

    <root>/
        caf/                  an organisation id of the registry (« Organismes »)
            manifest.csv
            attestation-123.pdf
            done/  error/     where imported files go (created)
            report-<time>.csv one per run
        departement/ ...

Each partner folder is imported by :func:`ccas.vault.letters.drop_folder.import_folder`
(the GED drop folder's code) as the letter source ``partner:<organisation id>``, with the
reference in the ``reference`` column and PDFs only.  A folder that is not an enabled
partner's (unknown id, disabled organisation, the CCAS itself, or not among the partners
the records manager allowed) is not read: its report says why and no file is touched.
"""

from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.delivery import ACTOR_PREFIX
from ccas.vault.letters import drop_folder
from ccas.vault.organisations import get_organisation
from ccas.vault.partners import CONNECTOR
from ccas.vault.partners import REFERENCE_COLUMN
from ccas.vault.partners import source_id
from pathlib import Path


#: The depositor recorded on the receipts and traces of partners' letters.
DEPOSITOR = ACTOR_PREFIX + CONNECTOR
CCAS_KIND = "ccas"

UNKNOWN_PARTNER_FR = (
    "Dossier « {name} » : aucun organisme partenaire n'a cet identifiant "
    "(voir « Organismes » dans la configuration). Aucun fichier n'a été lu."
)
DISABLED_PARTNER_FR = (
    "Dossier « {name} » : l'organisme « {title} » est désactivé. Aucun fichier n'a été lu."
)
NOT_A_PARTNER_FR = (
    "Dossier « {name} » : le CCAS dépose ses courriers par la GED, pas par ce dossier. "
    "Aucun fichier n'a été lu."
)
NOT_ALLOWED_FR = (
    "Dossier « {name} » : l'organisme « {title} » n'est pas parmi les partenaires autorisés "
    "du connecteur. Aucun fichier n'a été lu."
)


def allowed_partners(settings=None):
    """The organisation ids the records manager allowed (empty: every partner)."""
    settings = connector_settings.get_settings(CONNECTOR) if settings is None else settings
    text = settings.get("partners") or ""
    return {part.strip() for part in text.replace(";", ",").split(",") if part.strip()}


def refusal(name, allowed):
    """Why the folder ``name`` is not a partner's (French), or ``None``."""
    organisation = get_organisation(name)
    if organisation is None:
        return UNKNOWN_PARTNER_FR.format(name=name)
    if organisation.kind == CCAS_KIND:
        return NOT_A_PARTNER_FR.format(name=name)
    if not organisation.enabled:
        return DISABLED_PARTNER_FR.format(name=name, title=organisation.title)
    if allowed and name not in allowed:
        return NOT_ALLOWED_FR.format(name=name, title=organisation.title)
    return None


def partner_folders(root):
    """The sub-folders of ``root`` holding a manifest, sorted by name."""
    root = Path(root)
    return sorted(
        path
        for path in root.iterdir()
        if path.is_dir()
        and drop_folder.safe_name(path.name)
        and (path / drop_folder.MANIFEST).is_file()
    )


def report_row(reason):
    return {
        "line": "",
        "ged_reference": "",
        "filename": drop_folder.MANIFEST,
        "outcome": "refused",
        "status": 400,
        "detail": reason,
    }


def import_partner(folder, allowed=frozenset()):
    """Import one partner's folder; its report rows (a refused folder: one row, no file read)."""
    folder = Path(folder)
    reason = refusal(folder.name, allowed)
    if reason is not None:
        return [report_row(reason)]
    try:
        return drop_folder.import_folder(
            folder,
            DEPOSITOR,
            source=source_id(folder.name),
            reference_column=REFERENCE_COLUMN,
            pdf_only=True,
            keep_going=True,
        )
    except drop_folder.ManifestInvalid as error:
        return [report_row(error.message_fr)]


def refused(rows):
    return len(rows) == 1 and rows[0]["outcome"] == "refused"


def reported_since_manifest(folder):
    """Whether a report of ``folder`` is newer than its manifest."""
    changed = (folder / drop_folder.MANIFEST).stat().st_mtime
    return any(path.stat().st_mtime >= changed for path in folder.glob("report-*.csv"))


def import_root(root, only_waiting=False, settings=None):
    """Import every partner folder of ``root``: ``{partner id: (rows, report path)}``.

    Each folder gets its ``report-<time>.csv``.  ``only_waiting`` (the clock): folders
    whose manifest names no file still there are skipped (nothing to report).
    """
    allowed = allowed_partners(settings)
    results = {}
    for folder in partner_folders(root):
        if only_waiting and not drop_folder.waiting_letters(folder):
            continue
        rows = import_partner(folder, allowed)
        if only_waiting and refused(rows) and reported_since_manifest(folder):
            continue  # the clock says it once per manifest, not every minute
        report = drop_folder.write_report(folder, rows, reference_column=REFERENCE_COLUMN)
        results[folder.name] = (rows, report)
    return results


def failed(results):
    """Whether a line was refused or went to ``error/`` (the script's exit status 1)."""
    return any(
        row["outcome"] not in drop_folder.FINE for rows, _report in results.values() for row in rows
    )


def summary(results):
    """One line per partner folder."""
    if not results:
        return "partner-import: nothing"
    return "\n".join(
        drop_folder.summary(rows, prefix=f"partner-import {name}") + f" (report: {report.name})"
        for name, (rows, report) in sorted(results.items())
    )
