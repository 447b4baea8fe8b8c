"""The partners' drop folder as a push connector of the framework (``partner-drop-folder``).

Listed in the records manager's « Connecteurs » panel and switched on there for the CCAS;
while it is off, neither the clock nor ``ccas-vault-partner-import`` imports anything.
The root folder is the deployment's (``CCAS_VAULT_PARTNER_DROP_FOLDER``, or the script's
argument), not a setting typed in the browser: a web form never names server folders.
"""

from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.interfaces import ConnectorDisabled
from ccas.vault.connectors.interfaces import IPushConnector
from ccas.vault.connectors.interfaces import PUSH
from ccas.vault.connectors.interfaces import SettingField
from ccas.vault.document_types import list_document_types
from ccas.vault.partners import CONNECTOR
from ccas.vault.partners import drop
from ccas.vault.partners import ROOT_VAR
from pathlib import Path
from zope.interface import implementer
import os


def root_folder(environ=None):
    """The root of the partners' folders (``CCAS_VAULT_PARTNER_DROP_FOLDER``), or ``None``."""
    value = ((os.environ if environ is None else environ).get(ROOT_VAR) or "").strip()
    return Path(value) if value else None


@implementer(IPushConnector)
class PartnerDropFolder:
    name = CONNECTOR
    kind = PUSH
    title_fr = "Papiers déposés par les partenaires"
    # The information notice reads « le CCAS demande <fetched_fr> à <source_fr>. »
    source_fr = (
        "ses partenaires, qui les déposent pour vous au CCAS "
        "(la CAF, le Département, des associations)"
    )
    fetched_fr = "vos attestations, notifications et décisions"
    data_categories = ("papiers transmis par un partenaire",)
    needs_consent = True
    person_fields = ()
    settings_fields = (
        SettingField(
            "partners",
            "Partenaires autorisés (identifiants d'organismes, séparés par des virgules)",
            required=False,
            help_fr="Vide : tous les organismes partenaires du registre « Organismes ».",
        ),
    )
    refresh_days = 0

    @property
    def document_types(self):
        """Any enabled type but health papers (the letters' validation refuses those)."""
        return tuple(info.id for info in list_document_types() if not info.health)

    def collect(self, settings, root=None):
        """Import every partner folder under ``root`` (default: :func:`root_folder`).

        Returns ``{partner id: {"outcome": count}}`` plus ``"failed": bool``.
        """
        if not connector_settings.is_enabled(CONNECTOR):
            raise ConnectorDisabled(
                f"{CONNECTOR} is switched off",
                "Le connecteur « Papiers déposés par les partenaires » n'est pas activé : "
                "l'archiviste l'active dans la configuration, page « Connecteurs ».",
            )
        root = root if root is not None else root_folder()
        if root is None or not Path(root).is_dir():
            return {"failed": False}
        results = drop.import_root(root, only_waiting=True, settings=settings)
        summary = {"failed": drop.failed(results)}
        for name, (rows, _report) in results.items():
            counts = {}
            for row in rows:
                counts[row["outcome"]] = counts.get(row["outcome"], 0) + 1
            summary[name] = counts
        return summary
