"""The partners as a letter source (:class:`ccas.vault.letters.sources.ILetterSource`).

A partner's letter is keyed ``partner~<organisation id>~<reference>`` (a reference is
unique per partner), may be delivered once the person consented to the partners' drop
folder connector, and is stored by the connectors' framework: a paper of origin
``partner`` in the shared space, naming the partner, sealed by the CCAS.
"""

from ccas.vault.connectors import consent
from ccas.vault.connectors import delivery as connector_delivery
from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.interfaces import Delivery
from ccas.vault.letters import persons
from ccas.vault.letters import sources
from ccas.vault.notifications import notify_person
from ccas.vault.organisations import get_organisation
from ccas.vault.partners import CONNECTOR
from ccas.vault.partners import SOURCE
from zope.interface import implementer


PDF = "application/pdf"


def partner_name(organisation_id):
    """The partner's name as the registry has it (its id when it was removed since)."""
    organisation = get_organisation(organisation_id)
    return organisation.title if organisation is not None else organisation_id


@implementer(sources.ILetterSource)
class PartnerSource:
    origin = connector_delivery.ORIGIN

    def key(self, sender, reference):
        return sources.KEY_SEPARATOR.join((SOURCE, sender, reference))

    def missing_consent(self, vault, sender):
        connector = connector_settings.get_connector(CONNECTOR)
        if connector is None or not connector.needs_consent:
            return None
        if consent.consent_of(vault, CONNECTOR) is None:
            return persons.NO_CONNECTOR_CONSENT
        return None

    def store(self, vault, letter, receipt, data):
        _name, partner = sources.split(receipt.source)
        parked = data is not None
        paper = Delivery(
            data=data if parked else letter.data,
            filename=letter.file.filename if parked else letter.filename,
            document_type=letter.document_type,
            title=letter.title,
            source=partner_name(partner),
            reference=receipt.reference,
            issued=letter.issued,
            valid_until=letter.valid_until,
            certify=True,
            replaces_older=False,  # a partner's letters stand side by side
            content_type=PDF,
            fetched_at=receipt.received_at,
            details={
                "partner": partner,
                "partner_reference": sources.reference_of_key(receipt.reference),
            },
        )
        connector = connector_settings.get_connector(CONNECTOR)
        document, _created = connector_delivery.deliver(vault, connector, paper)
        return document, notify_person(vault, "new_partner_paper")
