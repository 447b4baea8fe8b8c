"""@@ccas-settings, the CCAS's settings (issue 8): each field saved through the real form, a bad
logo refused in French with nothing lost, a test e-mail received by a real SMTP server on the
loopback, text messages posted to a real HTTP server on the loopback (the logging gateway
staying the default), and everybody but records managers refused.
"""

from ccas.vault.notifications.sms import ConfiguredSMSGateway
from ccas.vault.notifications.sms import HTTPSMSGateway
from ccas.vault.notifications.sms import ISMSGateway
from ccas.vault.notifications.sms import LoggingSMSGateway
from ccas.vault.notifications.sms import send_sms_after_commit
from ccas.vault.notifications.sms import SMSGatewayError
from ccas.vault.settings import ccas_identity
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from io import BytesIO
from lxml import html as lxml_html
from pathlib import Path
from PIL import Image
from plone import api
from plone.formwidget.namedfile.converter import b64encode_file
from servers import wait_until
from vaults import make_agent
from vaults import make_user
from vaults import PASSWORD
from xml.etree import ElementTree
from zope.component import getGlobalSiteManager
from zope.component import getUtility
import json
import logging
import pytest
import requests
import threading
import transaction


PANEL = "@@ccas-settings"


def picture(fmt="PNG"):
    out = BytesIO()
    Image.new("RGB", (90, 40), (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def site(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")
    make_user("archiviste", ["RecordsManager"])
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    make_agent("accueil")
    make_user("jdupont", ["Beneficiary"])
    transaction.commit()
    return functional_portal


def session(login):
    http = requests.Session()
    http.auth = (login, PASSWORD)
    return http


def form_values(page):
    """What a browser would post back: every field of the settings form as it is shown."""
    tree = lxml_html.fromstring(page)
    (form,) = [f for f in tree.forms if f.get("id") == "form"] or tree.forms[:1]
    values = {}
    for element in form.inputs:
        name = element.get("name")
        if not name or name.startswith("form.buttons."):
            continue
        kind = (element.get("type") or "").lower()
        if kind == "file":
            continue
        if kind in ("checkbox", "radio"):
            if element.checked:
                values.setdefault(name, []).append(element.get("value"))
            continue
        if element.tag == "select":
            values[name] = [o.get("value") for o in element.xpath(".//option[@selected]")]
            continue
        values[name] = element.value or ""
    return values


def post(http, changes, button="save", files=None):
    url = f"{api.portal.get().absolute_url()}/{PANEL}"
    page = http.get(url, timeout=60)
    assert page.status_code == 200, page.text[:300]
    data = form_values(page.text)
    data.update(changes)
    data[f"form.buttons.{button}"] = "x"
    return http.post(url, data=data, files=files, timeout=60)


def errors(answer):
    """The messages shown next to the fields."""
    tree = lxml_html.fromstring(answer.text)
    return [
        e.text_content().strip() for e in tree.xpath('//*[contains(@class, "invalid-feedback")]')
    ]


def saved(answer):
    assert answer.status_code == 200
    assert "Modifications enregistrées" in answer.text, errors(answer)
    return answer


def fresh():
    """See what the server committed (a new transaction, no per-request registry cache)."""
    transaction.begin()
    api.portal.get().REQUEST.other.pop("_plone_registry_cache", None)


def record(name, prefix="ccas.vault.settings"):
    fresh()
    return api.portal.get_registry_record(f"{prefix}.{name}")


# --- the form -----------------------------------------------------------------------


def test_the_panel_is_in_french_with_its_four_fieldsets(site):
    page = session("archiviste").get(f"{site.absolute_url()}/{PANEL}", timeout=60)
    assert page.status_code == 200
    for legend in ("Identité du CCAS", "Ouverture des coffres", "Notifications", "Limites"):
        assert legend in page.text, legend
    assert "envoyer un e-mail d'essai" in page.text


def test_each_field_is_saved(site):
    http = session("archiviste")
    answer = post(
        http,
        {
            "form.widgets.ccas_name": "CCAS de Villeurbanne",
            "form.widgets.ccas_address": "12 rue de la Mairie\r\n69100 Villeurbanne",
            "form.widgets.ccas_phone": "04 78 00 00 00",
            "form.widgets.ccas_email": "ccas@villeurbanne.example",
            "form.widgets.ccas_hours": "Du lundi au vendredi",
            "form.widgets.self_service_opening:list": ["selected"],
            "form.widgets.smtp_host": "smtp.villeurbanne.example",
            "form.widgets.smtp_port": "587",
            "form.widgets.smtp_userid": "ccas",
            "form.widgets.smtp_pass": "secret-smtp",
            "form.widgets.email_from_name": "CCAS de Villeurbanne",
            "form.widgets.email_from_address": "ne-pas-repondre@villeurbanne.example",
            "form.widgets.sms_gateway:list": ["http"],
            "form.widgets.sms_gateway_url": "https://sms.example/api",
            "form.widgets.sms_gateway_token": "jeton",
            "form.widgets.sms_sender": "CCASVILLE",
            "form.widgets.max_upload_size_mb": "30",
            "form.widgets.closing_grace_days": "15",
        },
        files={"form.widgets.ccas_logo": ("logo.png", picture("PNG"), "image/png")},
    )
    assert answer.status_code == 200
    assert "Modifications enregistrées" in answer.text
    assert record("ccas_name") == "CCAS de Villeurbanne"
    assert record("ccas_address") == "12 rue de la Mairie\n69100 Villeurbanne"
    assert record("ccas_phone") == "04 78 00 00 00"
    assert record("ccas_email") == "ccas@villeurbanne.example"
    assert record("ccas_hours") == "Du lundi au vendredi"
    assert record("self_service_opening") is True
    assert record("sms_gateway") == "http"
    assert record("sms_gateway_url") == "https://sms.example/api"
    assert record("sms_gateway_token") == "jeton"
    assert record("sms_sender") == "CCASVILLE"
    assert record("max_upload_size_mb") == 30
    assert record("closing_grace_days") == 15
    assert record("smtp_host", "plone") == "smtp.villeurbanne.example"
    assert record("smtp_port", "plone") == 587
    assert record("smtp_userid", "plone") == "ccas"
    assert record("smtp_pass", "plone") == "secret-smtp"
    assert record("email_from_address", "plone") == "ne-pas-repondre@villeurbanne.example"
    fresh()
    identity = ccas_identity()
    assert identity["address"] == ["12 rue de la Mairie", "69100 Villeurbanne"]
    assert identity["logo"] == picture("PNG")
    # saving again without typing the SMTP password keeps it; the logo stays too
    page = http.get(f"{site.absolute_url()}/{PANEL}", timeout=60).text
    assert "secret-smtp" not in page and "jeton" not in page  # secrets are never shown back
    saved(post(http, {"form.widgets.ccas_phone": "04 78 11 11 11"}))
    assert record("smtp_pass", "plone") == "secret-smtp"
    assert record("sms_gateway_token") == "jeton"
    assert record("ccas_phone") == "04 78 11 11 11"
    fresh()
    assert ccas_identity()["logo"] == picture("PNG")
    # and it can be turned off again
    saved(post(http, {"form.widgets.self_service_opening:list": []}))
    assert record("self_service_opening") is False


def test_self_service_opening_is_off_by_default(site):
    assert record("self_service_opening") is False
    assert record("sms_gateway") == "log"


def test_a_file_that_is_not_a_picture_is_refused_in_french_and_nothing_is_lost(site):
    http = session("archiviste")
    post(http, {"form.widgets.ccas_name": "CCAS de Villeurbanne"})
    answer = post(
        http,
        {"form.widgets.ccas_name": "Autre nom"},
        files={"form.widgets.ccas_logo": ("logo.png", b"%PDF-1.4 not a picture", "image/png")},
    )
    assert "Le logo doit être une image PNG ou JPEG." in answer.text
    assert 'value="Autre nom"' in answer.text  # what was typed is still in the form
    assert record("ccas_name") == "CCAS de Villeurbanne"  # nothing saved
    assert not record("ccas_logo")


def test_a_jpeg_logo_is_accepted(site):
    post(
        session("archiviste"),
        {},
        files={"form.widgets.ccas_logo": ("logo.jpg", picture("JPEG"), "image/jpeg")},
    )
    fresh()
    assert ccas_identity()["logo"].startswith(b"\xff\xd8")


def test_a_gif_logo_is_refused(site):
    answer = post(
        session("archiviste"),
        {},
        files={"form.widgets.ccas_logo": ("logo.gif", picture("GIF"), "image/gif")},
    )
    assert "Le logo doit être une image PNG ou JPEG." in answer.text
    assert not record("ccas_logo")


def test_a_stored_logo_is_shown_back_in_the_form(site):
    api.portal.set_registry_record(
        "ccas.vault.settings.ccas_logo", b64encode_file("logo.png", picture("PNG"))
    )
    transaction.commit()
    page = session("archiviste").get(f"{site.absolute_url()}/{PANEL}", timeout=60)
    assert page.status_code == 200
    assert "logo.png" in page.text


@pytest.mark.parametrize("login", ["archiviste", "manager", "siteadmin"])
def test_records_managers_and_administrators_open_the_panel(site, login):
    page = session(login).get(f"{site.absolute_url()}/{PANEL}", timeout=60)
    assert page.status_code == 200
    assert "form.widgets.ccas_name" in page.text


@pytest.mark.parametrize("login", [None, "accueil", "jdupont"])
def test_others_are_refused(site, login):
    http = session(login) if login else requests.Session()
    url = f"{site.absolute_url()}/{PANEL}"
    page = http.get(url, timeout=60, allow_redirects=False)
    assert page.status_code in (302, 401, 403), login
    assert "form.widgets.ccas_name" not in page.text
    answer = http.post(
        url,
        data={"form.widgets.ccas_name": "Pirate", "form.buttons.save": "x"},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code in (302, 401, 403)
    assert record("ccas_name") == ""


def test_the_configlet_is_in_site_setup_for_the_settings_permission(site):
    configlet = api.portal.get_tool("portal_controlpanel").getActionObject("Products/ccas-settings")
    assert configlet.permissions == ("ccas.vault: Manage settings",)
    assert configlet.title == "Settings of the CCAS"
    page = session("archiviste").get(f"{site.absolute_url()}/@@overview-controlpanel", timeout=60)
    assert "@@ccas-settings" in page.text


# --- the test e-mail ----------------------------------------------------------------


def test_the_test_email_reaches_a_real_smtp_server(site, smtp):
    inbox, port = smtp
    answer = post(
        session("archiviste"),
        {
            "form.widgets.smtp_host": "127.0.0.1",
            "form.widgets.smtp_port": str(port),
            "form.widgets.email_from_name": "CCAS de Villeurbanne",
            "form.widgets.email_from_address": "ccas@villeurbanne.example",
        },
        button="test_mail",
    )
    assert "Un e-mail d'essai a été envoyé à ccas@villeurbanne.example" in answer.text
    wait_until(lambda: inbox.messages, timeout=30, what="the test e-mail")
    ((recipients, message),) = inbox.messages
    assert recipients == ["ccas@villeurbanne.example"]
    assert message["Subject"] == "E-mail d'essai du coffre-fort numérique"
    assert "CCAS de Villeurbanne" in message["From"]


def test_an_unreachable_mail_server_is_said_in_french_and_the_settings_are_kept(site):
    from servers import free_port

    answer = post(
        session("archiviste"),
        {
            "form.widgets.smtp_host": "127.0.0.1",
            "form.widgets.smtp_port": str(free_port()),  # nobody listens there
            "form.widgets.email_from_address": "ccas@villeurbanne.example",
        },
        button="test_mail",
    )
    assert "mais l'e-mail d'essai n'a pas pu partir" in answer.text
    assert record("email_from_address", "plone") == "ccas@villeurbanne.example"


# --- text messages ------------------------------------------------------------------


class SMSProvider(BaseHTTPRequestHandler):
    received = []
    status = 200

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    SMSProvider.received, SMSProvider.status = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), SMSProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SMSProvider, f"http://127.0.0.1:{server.server_port}/send"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def configured_gateway():
    """The gateway declared in notifications/configure.zcml (other tests swap it)."""
    gsm = getGlobalSiteManager()
    previous = gsm.queryUtility(ISMSGateway)
    gsm.registerUtility(ConfiguredSMSGateway(), ISMSGateway)
    try:
        yield
    finally:
        gsm.registerUtility(previous, ISMSGateway)


def test_the_zcml_declares_the_gateway_that_follows_the_settings():
    zcml = Path(__file__).parents[1] / "src/ccas/vault/notifications/configure.zcml"
    (utility,) = ElementTree.parse(zcml).getroot().iter("{http://namespaces.zope.org/zope}utility")
    assert utility.get("factory") == ".sms.ConfiguredSMSGateway"


def test_by_default_text_messages_are_only_logged(site, provider, configured_gateway, caplog):
    received, _url = provider
    assert isinstance(getUtility(ISMSGateway).gateway(), LoggingSMSGateway)
    with caplog.at_level(logging.INFO, logger="ccas.vault.sms"):
        send_sms_after_commit("06 12 34 56 78", "Bonjour")
        transaction.commit()
    assert "SMS to …78 (7 characters)" in caplog.text
    assert "Bonjour" not in caplog.text  # the text may hold a reset code: never logged
    assert received.received == []


def test_the_http_gateway_posts_to_the_provider(site, provider, configured_gateway):
    received, url = provider
    post(
        session("archiviste"),
        {
            "form.widgets.sms_gateway:list": ["http"],
            "form.widgets.sms_gateway_url": url,
            "form.widgets.sms_gateway_token": "jeton-secret",
            "form.widgets.sms_sender": "CCASVILLE",
        },
    )
    fresh()
    send_sms_after_commit("0612345678", "Un nouveau courrier vous attend.")
    transaction.commit()
    wait_until(lambda: received.received, timeout=10, what="the SMS provider")
    ((path, headers, body),) = received.received
    assert path == "/send"
    assert headers["Authorization"] == "Bearer jeton-secret"
    assert headers["Content-Type"] == "application/json"
    assert body == {
        "to": "0612345678",
        "text": "Un nouveau courrier vous attend.",
        "sender": "CCASVILLE",
    }


def test_a_refusing_provider_is_logged_and_the_transaction_stays(
    site, provider, configured_gateway, caplog
):
    received, url = provider
    received.status = 500
    for name, value in (("sms_gateway", "http"), ("sms_gateway_url", url)):
        api.portal.set_registry_record(f"ccas.vault.settings.{name}", value)
    transaction.commit()
    with pytest.raises(SMSGatewayError):
        HTTPSMSGateway(url).send("0612345678", "x")
    with caplog.at_level(logging.INFO, logger="ccas.vault.sms"):
        site.setTitle("Changed with the SMS")
        send_sms_after_commit("0612345678", "Bonjour")
        transaction.commit()  # does not raise
    assert "SMS to …78 not sent" in caplog.text
    fresh()
    assert api.portal.get().Title() == "Changed with the SMS"


def test_an_unreachable_provider_times_out_and_is_logged(site, caplog):
    from servers import free_port

    with pytest.raises(SMSGatewayError):
        HTTPSMSGateway(f"http://127.0.0.1:{free_port()}/send", timeout=2).send("0612345678", "x")
