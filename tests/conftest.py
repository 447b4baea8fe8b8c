"""Fixtures shared by the whole suite."""

from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING
from ccas.vault.testing import CCAS_VAULT_INTEGRATION_TESTING
from datetime import datetime
from journeys import browser  # noqa: F401 (the journeys' Chromium, a fixture)
from journeys import stopwatch  # noqa: F401 (a fixture)
from matrix_layer import MATRIX_FUNCTIONAL_TESTING
from pytest_plone import fixtures_factory
import pytest


pytest_plugins = ["pytest_plone"]

globals().update(
    fixtures_factory(
        (
            (CCAS_VAULT_FUNCTIONAL_TESTING, "functional"),
            (CCAS_VAULT_INTEGRATION_TESTING, "integration"),
        )
    )
)
# The access matrix's data (tests/matrix_layer.py), for the test classes that ask for
# ``matrix``: set up for them only, torn down after them (no session fixture).
globals().update(fixtures_factory(((MATRIX_FUNCTIONAL_TESTING, "matrix"),), keep_session=False))


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the vault's clock (Europe/Paris); call it with another moment to move it."""
    from ccas.vault import clock

    def freeze(moment):
        monkeypatch.setattr(clock, "paris_now", lambda now=None: moment.replace(tzinfo=clock.PARIS))

    freeze(datetime(2026, 11, 23, 10, 0))
    return freeze


# --- mail and text messages: a real SMTP server on loopback, an SMS gateway that records ---


class Inbox:
    """aiosmtpd handler keeping ``(recipients, message)`` of every mail received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email import policy

        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free loopback port: ``(inbox, port)``."""
    from aiosmtpd.controller import Controller
    from servers import free_port

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_site(functional_portal, smtp):
    """The functional site, its MailHost sending to :func:`smtp` (Plone's mail settings)."""
    from plone import api
    import transaction

    _inbox, port = smtp
    api.portal.set_registry_record("plone.smtp_host", "127.0.0.1")
    api.portal.set_registry_record("plone.smtp_port", port)
    api.portal.set_registry_record("plone.email_from_address", "ccas@example.org")
    api.portal.set_registry_record("plone.email_from_name", "CCAS")
    transaction.commit()
    return functional_portal


class SMSRecorder:
    """An ``ISMSGateway`` keeping ``(phone, text)`` of every message sent."""

    def __init__(self):
        self.sent = []

    def send(self, phone, text):
        self.sent.append((phone, text))


@pytest.fixture
def sms():
    """:class:`SMSRecorder` as the SMS gateway; the gateway before it is put back after."""
    from ccas.vault.notifications.sms import ISMSGateway
    from zope.component import getGlobalSiteManager
    from zope.interface import alsoProvides

    recorder = SMSRecorder()
    alsoProvides(recorder, ISMSGateway)
    gsm = getGlobalSiteManager()
    previous = gsm.queryUtility(ISMSGateway)
    gsm.registerUtility(recorder, ISMSGateway)
    try:
        yield recorder
    finally:
        gsm.unregisterUtility(recorder, ISMSGateway)
        if previous is not None:
            gsm.registerUtility(previous, ISMSGateway)


@pytest.fixture
def letters_vault(functional_portal):
    """An open vault (``jdupont``, GED person ``GED-42``) that takes the CCAS's letters,
    its agent ``accueil`` and the GED connector ``ged``; committed."""
    from ccas.vault import roles
    from vaults import consent_as_owner
    from vaults import make_agent
    from vaults import make_user
    from vaults import open_vault_as
    import transaction

    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    transaction.commit()
    return vault


# --- the product as shipped: an instance built by the project's commands, as a subprocess ---


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    """``make start``'s instance (embedded ZODB, demo site) served by ``runwsgi`` in a
    subprocess, for the tests of one module: a :class:`real_instance.RealSite`."""
    from real_instance import built_site

    with built_site(tmp_path_factory.mktemp("real-site")) as site:
        yield site


@pytest.fixture(scope="module")
def real_zeo_sites(tmp_path_factory):
    """``make start-zeo``'s shape: a ZEO server and two Zope clients of one database
    (the first runs the clock): two :class:`real_instance.RealSite`."""
    from real_instance import built_zeo_site

    with built_zeo_site(tmp_path_factory.mktemp("real-zeo")) as sites:
        yield sites
