"""What each indicator is called (English msgids, French in the catalogue)."""

from ccas.vault import _
from ccas.vault.indicators.compute import TYPE_PREFIX


LABELS = {
    "vaults_proposed": _("Vaults proposed (opened by an agent)"),
    "vaults_opened": _("Vaults opened (the person's consent)"),
    "vaults_activated": _("Vaults activated (first login of the person)"),
    "vaults_held": _("Open vaults at the end of the month"),
    "logins": _("Logins of the persons"),
    "logins_per_vault": _("Logins per open vault"),
    "documents_deposited": _("Papers deposited"),
    "documents_deposited_by_person": _("Papers deposited by the person"),
    "documents_deposited_by_agent": _("Papers deposited by an agent"),
    "documents_deposited_by_ged": _("Papers delivered by the CCAS GED"),
    "documents_per_vault_mean": _("Papers per open vault (mean)"),
    "documents_per_vault_median": _("Papers per open vault (median)"),
    "shares": _("Share links created"),
    "mandates_signed": _("Mandates signed"),
    "mandates_active": _("Mandates in force at the end of the month"),
    "mandates_revoked": _("Mandates revoked"),
    "mandates_signed_personal": _("Mandates to a relative signed"),
    "mandates_active_personal": _("Mandates to a relative in force at the end of the month"),
    "mandates_revoked_personal": _("Mandates to a relative revoked"),
    "consents_electronic": _("Consents given online"),
    "consents_paper": _("Consents given on paper"),
    "password_resets_email": _("Password resets started by e-mail"),
    "password_resets_questions": _("Password resets started with the personal questions"),
    "password_resets_code_sms": _("Password resets started by an agent (code by SMS)"),
    "password_resets_code_print": _("Password resets started by an agent (printed code)"),
    "closures_requested": _("Closures requested"),
    "vaults_closed": _("Vaults closed and deleted"),
    "documents_deleted": _("Papers deleted"),
    "vaults_proposed_cumulative": _("Vaults proposed since the start"),
    "vaults_opened_cumulative": _("Vaults opened since the start"),
    "vaults_activated_cumulative": _("Vaults activated since the start"),
    "conversion_opened": _("Vaults proposed that were opened, since the start (%)"),
    "conversion_activated": _("Vaults opened that were activated, since the start (%)"),
    "logins_cumulative": _("Logins of the persons since the start"),
    "logins_per_vault_cumulative": _("Logins per vault opened, since the start"),
    "documents_deposited_cumulative": _("Papers deposited since the start"),
    "documents_per_vault_cumulative": _("Papers deposited per vault opened, since the start"),
    "mandates_signed_cumulative": _("Mandates signed since the start"),
    "closures_requested_cumulative": _("Closures requested since the start"),
}

#: Sections of the table: (title, indicator ids or a prefix)
SECTIONS = (
    (
        _("Vaults"),
        ("vaults_proposed", "vaults_opened", "vaults_activated", "vaults_held"),
    ),
    (_("Use"), ("logins", "logins_per_vault", "shares")),
    (
        _("Papers"),
        (
            "documents_deposited",
            "documents_deposited_by_person",
            "documents_deposited_by_agent",
            "documents_deposited_by_ged",
            TYPE_PREFIX,
            "documents_per_vault_mean",
            "documents_per_vault_median",
            "documents_deleted",
        ),
    ),
    (
        _("Consents and mandates"),
        (
            "consents_electronic",
            "consents_paper",
            "mandates_signed",
            "mandates_active",
            "mandates_revoked",
            "mandates_signed_personal",
            "mandates_active_personal",
            "mandates_revoked_personal",
        ),
    ),
    (
        _("Accounts and closures"),
        (
            "password_resets_email",
            "password_resets_questions",
            "password_resets_code_sms",
            "password_resets_code_print",
            "closures_requested",
            "vaults_closed",
        ),
    ),
    (
        _("Since the start of the experiment"),
        (
            "vaults_proposed_cumulative",
            "vaults_opened_cumulative",
            "vaults_activated_cumulative",
            "conversion_opened",
            "conversion_activated",
            "logins_cumulative",
            "logins_per_vault_cumulative",
            "documents_deposited_cumulative",
            "documents_per_vault_cumulative",
            "mandates_signed_cumulative",
            "closures_requested_cumulative",
        ),
    ),
)


def label(indicator, language="fr"):
    """The label of ``indicator`` (a message, or text for a type of paper)."""
    if indicator.startswith(TYPE_PREFIX):
        from ccas.vault.document_types import get_document_type

        type_id = indicator[len(TYPE_PREFIX) :]
        info = get_document_type(type_id)
        name = info.label(language) if info is not None else type_id
        return _("Papers deposited: ${type}", mapping={"type": name})
    return LABELS[indicator]


def section_ids(members, indicator_ids):
    """The indicator ids of one section, the types of paper expanded."""
    found = []
    for member in members:
        if member == TYPE_PREFIX:
            found.extend(i for i in indicator_ids if i.startswith(TYPE_PREFIX))
        elif member in indicator_ids:
            found.append(member)
    return found
