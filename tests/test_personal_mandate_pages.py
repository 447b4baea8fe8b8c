"""The skin's pages of a personal mandate (issue 24, decision 0049), over HTTP.

The person names her son on ``/mon-coffre/proche``; the son opens the
invitation link without an account, opens one and signs; he then helps with
her safe under ``/mon-coffre/aide/<id>/…`` within his scopes only, and loses
everything the moment she stops the mandate.
"""

from ccas.vault.api import mandates
from ccas.vault.history import api as history
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from test_watermark import multi_page_pdf
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


SON_PASSWORD = "Un-mot-de-passe-long-2"


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont", first="Jeanne"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF", data=multi_page_pdf(1))
    deposit_as("jdupont", vault["prive"], title="Lettre secrete", data=multi_page_pdf(1))
    other = consent_as_owner(open_vault_as("accueil", "autre", first="Alice", last="Autre"))
    deposit_as("autre", other["partage"], title="Papier d'Alice")
    transaction.commit()
    return vault


def paper(vault, title):
    for space in ("partage", "prive"):
        for doc in vault[space].objectValues():
            if doc.Title() == title:
                return doc
    raise KeyError(title)


def name_son(portal, scopes=("consult", "deposit")):
    mother = skin_session(portal, "jdupont")
    form = mother.get(skin(portal, "proche"), timeout=60)
    assert form.status_code == 200
    answer = mother.post(
        skin(portal, "proche"),
        data={
            "_authenticator": form_token(form.text),
            "name": "Marc Dupont",
            "relation": "mon fils",
            "scopes:list": list(scopes),
            "months": "3",
            "agree": "1",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:2000]
    assert "/proche/lien" in answer.url
    link = re.search(r'id="invitation-url">([^<]+)<', answer.text).group(1).replace("&amp;", "&")
    return mother, link


def son_accepts(link, relation="mon fils"):
    son = requests.Session()
    page = son.get(link, timeout=60)
    assert page.status_code == 200
    assert "Jeanne Dupont" in page.text and relation in page.text
    answer = son.post(
        link,
        data={
            "_authenticator": form_token(page.text),
            "form.submitted": "1",
            "fullname": "Marc Dupont",
            "login": "marc.dupont",
            "new_password": SON_PASSWORD,
            "new_password_again": SON_PASSWORD,
            "agree": "1",
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.url.endswith("coffres-aides?fait=accepte"), answer.url
    return son, answer


def test_the_son_helps_within_his_scopes_and_stops_with_the_mandate(functional_portal, vault):
    portal = functional_portal
    mother, link = name_son(portal)
    waiting = mother.get(skin(portal, "acces"), timeout=60).text
    assert "En attente de la signature de votre proche" in waiting
    son, helped = son_accepts(link)
    assert "Jeanne Dupont" in helped.text and "mon fils" in helped.text
    transaction.begin()
    assert api.user.get(username="marc.dupont").getProperty("email") == ""
    base = skin(portal, f"aide/{vault.getId()}")

    papers = son.get(f"{base}/papiers", timeout=60)
    assert papers.status_code == 200
    assert "Attestation CAF" in papers.text and "Lettre secrete" not in papers.text
    shared = paper(vault, "Attestation CAF")
    one = son.get(f"{base}/papier/{shared.UID()}", timeout=60)
    assert one.status_code == 200
    assert "@@preview" in one.text and "@@download" not in one.text
    preview = son.get(f"{shared.absolute_url()}/@@preview", timeout=60)
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/png"
    original = son.get(
        f"{shared.absolute_url()}/@@download/file", timeout=60, allow_redirects=False
    )
    assert original.status_code in (302, 401, 403) and not original.content.startswith(b"%PDF")

    private = paper(vault, "Lettre secrete")
    assert son.get(f"{base}/papier/{private.UID()}", timeout=60).status_code == 404
    for url in (private.absolute_url(), f"{private.absolute_url()}/@@preview"):
        refused = son.get(url, timeout=60, allow_redirects=False)
        assert refused.status_code in (302, 401, 403), url
        assert b"Lettre secrete" not in refused.content
    for name in ("partager", "acces", "compte", "historique", "fermer", "partages"):
        answer = son.get(f"{base}/{name}", timeout=60)
        assert answer.status_code == 403, name
        assert "Lettre secrete" not in answer.text
    other = next(v for v in portal["coffres"].objectValues() if v.owner_login == "autre")
    assert son.get(skin(portal, f"aide/{other.getId()}/papiers"), timeout=60).status_code == 403

    add = son.get(f"{base}/ajouter", timeout=60)
    assert add.status_code == 200 and 'value="prive"' not in add.text
    added = son.post(
        f"{base}/ajouter",
        data={
            "_authenticator": form_token(add.text),
            "form.submitted": "1",
            "document_type": "attestation-caf",
            "title": "Quittance de loyer",
            "space": "prive",  # forced to the shared space for a helper
        },
        files={"file": ("quittance.pdf", multi_page_pdf(1), "application/pdf")},
        timeout=60,
    )
    assert added.status_code == 200, added.text[:2000]
    assert f"aide/{vault.getId()}/papiers" in added.url
    transaction.begin()
    assert paper(vault, "Quittance de loyer").aq_parent.getId() == "partage"
    deposit = [e for e in history.entries(vault) if e.action == "deposit"][-1]
    assert deposit.actor == api.user.get(username="marc.dupont").getId()
    lines = mother.get(skin(portal, "historique"), timeout=60).text
    assert "Marc Dupont (mon fils)" in lines

    # logging in again, without a safe of his own, he lands on the safes he helps with
    again = skin_session(portal, "marc.dupont", SON_PASSWORD)
    assert again.get(skin(portal, "papiers"), timeout=60).url.endswith("/coffres-aides")
    access = mother.get(skin(portal, "acces"), timeout=60)
    (mandate,) = [m for m in mandates.mandates_of(vault) if mandates.is_personal(m)]
    stop = mother.get(skin(portal, "acces/retirer", mandate=mandate.getId()), timeout=60)
    assert "mon fils" in access.text
    stopped = mother.post(
        skin(portal, "acces/retirer", mandate=mandate.getId()),
        data={"_authenticator": form_token(stop.text)},
        timeout=60,
    )
    assert stopped.status_code == 200
    assert son.get(f"{base}/papiers", timeout=60).status_code == 403
    gone = son.get(f"{shared.absolute_url()}/@@preview", timeout=60, allow_redirects=False)
    assert gone.status_code in (302, 401, 403) and not gone.content.startswith(b"\x89PNG")
    assert "Jeanne" not in son.get(skin(portal, "coffres-aides"), timeout=60).text


def test_share_scope_opens_the_share_page_with_shared_papers_only(functional_portal, vault):
    portal = functional_portal
    _mother, link = name_son(portal, scopes=("share",))
    son, _ = son_accepts(link)
    base = skin(portal, f"aide/{vault.getId()}")
    page = son.get(f"{base}/partager", timeout=60)
    assert page.status_code == 200
    assert "Attestation CAF" in page.text and "Lettre secrete" not in page.text
    assert son.get(f"{base}/ajouter", timeout=60).status_code == 403
    shared = paper(vault, "Attestation CAF")
    made = son.post(
        f"{base}/partager",
        data={
            "_authenticator": form_token(page.text),
            "form.submitted": "1",
            "uids:list": [shared.UID()],
            "recipient": "Bailleur",
            "duration": "7d",
        },
        timeout=60,
    )
    assert made.status_code == 200, made.text[:2000]
    assert 'id="share-url"' in made.text
    private = paper(vault, "Lettre secrete")
    forged = son.post(
        f"{base}/partager",
        data={
            "_authenticator": form_token(page.text),
            "form.submitted": "1",
            "uids:list": [private.UID()],
            "recipient": "Bailleur",
            "duration": "7d",
        },
        timeout=60,
    )
    assert forged.status_code == 400 and 'id="share-url"' not in forged.text


def test_a_used_or_unknown_link_says_so_and_a_work_account_is_refused(functional_portal, vault):
    portal = functional_portal
    _mother, link = name_son(portal)
    agent = skin_session(portal, "accueil")
    page = agent.get(link, timeout=60)
    assert page.status_code == 400 and "compte de travail" in page.text
    son_accepts(link)
    again = requests.get(link, timeout=60)
    assert again.status_code == 404 and 'id="invitation-gone"' in again.text
    assert requests.get(skin(portal, "invitation", code="x" * 30), timeout=60).status_code == 404


def test_bad_input_on_the_persons_form_keeps_what_was_typed(functional_portal, vault):
    portal = functional_portal
    mother = skin_session(portal, "jdupont")
    form = mother.get(skin(portal, "proche"), timeout=60)
    answer = mother.post(
        skin(portal, "proche"),
        data={
            "_authenticator": form_token(form.text),
            "name": "Marc Dupont",
            "relation": "",
            "scopes:list": ["consult"],
            "months": "3",
            "agree": "1",
        },
        timeout=60,
    )
    assert answer.status_code == 400
    assert 'id="relation-error"' in answer.text and 'value="Marc Dupont"' in answer.text
    transaction.begin()
    assert not mandates.mandates_of(vault)
    forged = mother.post(
        skin(portal, "proche"),
        data={
            "_authenticator": form_token(form.text),
            "name": "Marc",
            "relation": "fils",
            "scopes:list": ["consult", "extract"],
            "months": "3",
            "agree": "1",
        },
        timeout=60,
    )
    assert forged.status_code == 400
    transaction.begin()
    assert not mandates.mandates_of(vault)


def test_the_sons_account_opens_with_his_login_when_he_has_a_safe(functional_portal, vault):
    portal = functional_portal
    _mother, link = name_son(portal)
    alice = skin_session(portal, "autre")
    page = alice.get(link, timeout=60)
    assert page.status_code == 200 and 'id="login"' not in page.text
    answer = alice.post(
        link,
        data={"_authenticator": form_token(page.text), "form.submitted": "1", "agree": "1"},
        timeout=60,
    )
    assert answer.status_code == 200 and answer.url.endswith("coffres-aides?fait=accepte")
    papers = alice.get(skin(portal, "papiers"), timeout=60)
    assert "Papier d&#x27;Alice" in papers.text or "Papier d'Alice" in papers.text
    assert "coffres-aides" in papers.text, "her own menu leads to the safes she helps with"
    assert PASSWORD


def test_an_agent_prepares_it_at_the_desk_and_attaches_the_printed_form(functional_portal, vault):
    """Decision 0049: the agent with the person present; the agent gets nothing from it."""
    portal = functional_portal
    agent = requests.Session()
    agent.auth = ("accueil", PASSWORD)
    url = f"{portal.absolute_url()}/@@proposer-un-mandat"
    start = agent.get(url, params={"proche": "1"}, timeout=60)
    assert start.status_code == 200 and 'id="relative-mode"' in start.text
    token = form_token(start.text)
    identity = {"last_name": "Dupont", "first_name": "Jeanne", "birth_date": "1980-05-17"}
    common = {"_authenticator": token, "proche": "1", **identity, "coffre": vault.getId()}
    refused = agent.post(
        url,
        data={**common, "propose": "1", "relative_name": "Marc", "relation": "", "months": "3"},
        timeout=60,
    )
    assert refused.status_code == 200 and "qui elle est pour vous" in refused.text
    answer = agent.post(
        url,
        data={
            **common,
            "propose": "1",
            "relative_name": "Marc Dupont",
            "relation": "son fils",
            "scopes:list": ["consult", "extract"],
            "months": "3",
        },
        timeout=60,
    )
    assert answer.status_code == 200 and "Un proche peut seulement" in answer.text
    answer = agent.post(
        url,
        data={
            **common,
            "propose": "1",
            "relative_name": "Marc Dupont",
            "relation": "son fils",
            "scopes:list": ["consult"],
            "months": "3",
        },
        timeout=60,
    )
    assert answer.status_code == 200 and 'id="proposal-relative-next"' in answer.text
    transaction.begin()
    (mandate,) = [m for m in mandates.mandates_of(vault) if mandates.is_personal(m)]
    assert mandate.proposed_by == "accueil" and mandate.agents == []
    form = agent.get(f"{mandate.absolute_url()}/@@mandate-form", timeout=60)
    assert form.status_code == 200 and form.content.startswith(b"%PDF")
    paper_url = f"{portal.absolute_url()}/@@mandat-papier"
    page = agent.get(paper_url, params={"mandat": mandate.UID()}, timeout=60)
    assert page.status_code == 200
    attached = agent.post(
        paper_url,
        data={
            "_authenticator": form_token(page.text),
            "mandat": mandate.UID(),
            "scopes:list": ["consult"],
        },
        files={"mandate_form": ("mandat.pdf", multi_page_pdf(1), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert attached.status_code == 303, attached.text[:2000]
    transaction.begin()
    assert mandate.person_signature["method"] == "paper"
    assert api.content.get_state(mandate) == "awaiting_signatures"
    # the person finds the link to give in "Qui a accès"
    mother = skin_session(portal, "jdupont")
    access = mother.get(skin(portal, "acces"), timeout=60).text
    assert f'id="link-{mandate.getId()}"' in access
    link = mother.get(skin(portal, "proche/lien", mandate=mandate.getId()), timeout=60)
    code_link = re.search(r'id="invitation-url">([^<]+)<', link.text).group(1)
    son, _ = son_accepts(code_link.replace("&amp;", "&"), relation="son fils")
    transaction.begin()
    assert api.content.get_state(mandate) == "active"
    shared = paper(vault, "Attestation CAF")
    gone = agent.get(f"{shared.absolute_url()}/@@preview", timeout=60, allow_redirects=False)
    assert gone.status_code in (302, 401, 403), "the agent gets nothing from it"
    ok = son.get(f"{shared.absolute_url()}/@@preview", timeout=60)
    assert ok.status_code == 200 and ok.headers["Content-Type"] == "image/png"
