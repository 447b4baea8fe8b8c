"""Plone's own reset e-mails never go to a person who owns a vault (decision 0035).

Over HTTP (functional layer's server, C security), a real SMTP server on loopback:
anonymous callers ask Plone's three reset routes for a vault owner's login, an unknown
login and a staff login.  The vault owner gets no mail and every answer is the unknown
login's; the staff account still gets Plone's mail.
"""

from vaults import consent_as_owner
from vaults import make_agent
from vaults import open_vault_as
import pytest
import requests
import time
import transaction


@pytest.fixture
def site(mail_site):
    agent = make_agent("accueil")
    agent.setMemberProperties(mapping={"email": "accueil@example.org"})
    consent_as_owner(open_vault_as("accueil", "jdupont", email="jd@example.org"))
    transaction.commit()
    return mail_site


def mails_to(inbox, address, wait=1.5):
    time.sleep(wait)  # the mail leaves after the request's commit
    return [message for recipients, message in inbox.messages if address in recipients]


def rest_reset(site, login):
    return requests.post(
        f"{site.absolute_url()}/++api++/@users/{login}/reset-password",
        json={},
        headers={"Accept": "application/json"},
        timeout=60,
    )


def classic_reset(site, login):
    return requests.post(
        f"{site.absolute_url()}/mail_password",
        data={"userid": login, "form.submitted": "1"},
        timeout=60,
    )


def login_help_reset(site, login):
    return requests.post(
        f"{site.absolute_url()}/@@login-help",
        data={"form.widgets.reset_password": login, "form.buttons.reset": "Reset"},
        timeout=60,
    )


def test_rest_reset_of_a_vault_owner_answers_as_for_nobody_and_sends_nothing(site, smtp):
    inbox, _ = smtp
    owner, nobody = rest_reset(site, "jdupont"), rest_reset(site, "personne-inconnue")
    assert owner.status_code == nobody.status_code == 404, owner.text
    assert owner.text == nobody.text
    assert mails_to(inbox, "jd@example.org") == []
    staff = rest_reset(site, "accueil")
    assert staff.status_code in (200, 204), staff.text
    assert len(mails_to(inbox, "accueil@example.org")) == 1


@pytest.mark.parametrize("route", [classic_reset, login_help_reset])
def test_plone_reset_pages_treat_a_vault_owner_as_an_unknown_login(site, smtp, route):
    inbox, _ = smtp
    owner, nobody = route(site, "jdupont"), route(site, "personne-inconnue")
    assert owner.status_code == nobody.status_code == 200
    assert owner.url == nobody.url
    assert "jdupont" not in owner.text
    assert mails_to(inbox, "jd@example.org") == []
    route(site, "accueil")
    assert len(mails_to(inbox, "accueil@example.org")) == 1
