"""The person's own pages of the skin: partager, partages, acces, historique, dossiers, fermer.

Through HTTP (the functional layer's server), logged in through the skin's own
login form (``tests/public_skin.py``).  The browser journeys are in
``test_public_journeys.py``.
"""

from AccessControl import Unauthorized
from ccas.vault.api import closing
from ccas.vault.api import mandates
from ccas.vault.browser.public.owner_pages import day_words
from ccas.vault.history import api as history
from ccas.vault.interfaces import IPublicSkinLayer
from ccas.vault.sharing import links
from datetime import date
from datetime import timedelta
from io import BytesIO
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from zope.component import getMultiAdapter
from zope.interface import alsoProvides
import pytest
import re
import requests
import transaction
import zipfile


PAGES = ("partager", "partages", "acces", "historique", "dossiers", "fermer")
TITLES_FR = {
    "partager": "Partager des papiers",
    "partages": "Mes partages",
    "acces": "Qui a accès",
    "historique": "Historique",
    "dossiers": "Mes dossiers",
    "fermer": "Fermer mon coffre",
}
TITLES_EN = {
    "partager": "Share papers",
    "partages": "My shares",
    "acces": "Who has access",
    "historique": "History",
    "dossiers": "My files",
    "fermer": "Close my safe",
}


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    worker = make_agent("travailleur")
    worker.setMemberProperties(mapping={"fullname": "Claire Bernard"})
    make_agent("agent")
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    api.portal.set_registry_record("ccas.vault.settings.city_name", "Démoville")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    consent_as_owner(open_vault_as("accueil", "amartin", first="Anne", last="Martin"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    deposit_as("jdupont", vault["prive"], title="Secret", document_type="cni")
    transaction.commit()
    return vault


def paper(vault, title):
    for space in ("partage", "prive"):
        for doc in vault[space].objectValues():
            if doc.Title() == title:
                return doc
    raise KeyError(title)


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def owner(portal, language=None):
    return skin_session(portal, "jdupont", language=language)


def make_link(vault, with_code=False):
    with acting_as("jdupont"):
        link, token, code = links.create_link(
            vault, [paper(vault, "Attestation CAF")], "CAF de Démoville", "7d", with_code
        )
    transaction.commit()
    return link, token, code


def pending_mandate(vault, scopes=("consult", "deposit")):
    """A mandate the person prepared with the worker at the desk, sent for signature."""
    with acting_as("jdupont"):
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=scopes, end=date(2027, 5, 23)
        )
        mandates.submit(mandate)
    transaction.commit()
    return mandate


def text_of(html):
    """The visible words of a page, spaces collapsed (for sentences split by tags)."""
    html = re.sub(r"</?(?:strong|span|em|time|a)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- who sees the pages -----------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_for_the_owner_in_plain_french(vault, functional_portal, name):
    page = owner(functional_portal).get(skin(functional_portal, name), timeout=60)
    assert page.status_code == 200, page.text[:500]
    assert f">{TITLES_FR[name]}</h1>" in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    assert 'lang="fr"' in page.text
    assert "Traceback" not in page.text


def test_my_account_leads_to_closing_my_safe(vault, functional_portal):
    page = owner(functional_portal).get(skin(functional_portal, "compte"), timeout=60)
    assert page.status_code == 200
    assert f'href="{skin(functional_portal, "fermer")}"' in page.text
    assert "Fermer mon coffre" in text_of(page.text)


@pytest.mark.parametrize("name", PAGES)
def test_each_page_speaks_english_after_switching_language(vault, functional_portal, name):
    session = owner(functional_portal)
    switched = session.get(
        skin(functional_portal, "langue", code="en", came_from=skin(functional_portal, name)),
        timeout=60,
    )
    assert switched.status_code == 200
    assert f">{TITLES_EN[name]}</h1>" in switched.text
    assert 'lang="en"' in switched.text


@pytest.mark.parametrize("login", ["amartin", "travailleur", "manager", "siteadmin"])
def test_nobody_else_sees_the_persons_pages(vault, functional_portal, login):
    link, _, _ = make_link(vault)
    active_mandate(vault, agents=("travailleur",), scopes=("consult",))
    transaction.commit()
    session = skin_session(functional_portal, login)
    for name in PAGES:
        page = session.get(skin(functional_portal, name), timeout=60, allow_redirects=False)
        # another person sees their own (empty) vault; staff get the refusal page
        assert page.status_code in (200, 403), (name, page.status_code)
        for secret in (link.getId(), "Attestation CAF", "Secret", "Claire Bernard"):
            assert secret not in page.text, (login, name, secret)


def test_anonymous_visitors_are_sent_to_the_login_page(vault, functional_portal):
    for name in PAGES:
        page = requests.get(skin(functional_portal, name), timeout=60, allow_redirects=False)
        assert page.status_code == 302, name
        assert "/mon-coffre/connexion?came_from=" in page.headers["Location"]


def test_the_pages_themselves_refuse_anybody_but_the_owner(vault, functional_portal):
    """Defence in depth: called on someone else's vault, every page says Unauthorized."""
    request = functional_portal.REQUEST
    alsoProvides(request, IPublicSkinLayer)
    for login in ("amartin", "travailleur", "manager", "siteadmin"):
        with acting_as(login):
            for name in PAGES:
                view = getMultiAdapter((vault, request), name=f"coffre-{name}")
                with pytest.raises(Unauthorized):
                    view()


def test_unknown_sub_pages_answer_not_found(vault, functional_portal):
    session = owner(functional_portal)
    for path in ("partages/x", "historique/x", "acces/x", "fermer/x", "dossiers/nope"):
        page = session.get(skin(functional_portal, path), timeout=60)
        assert page.status_code == 404, path


# --- sharing ----------------------------------------------------------------------------


def test_share_form_says_what_to_do_next_to_each_field(vault, functional_portal):
    session = owner(functional_portal)
    form = session.get(skin(functional_portal, "partager"), timeout=60)
    assert "Attestation CAF" in form.text and "Secret" in form.text
    answer = session.post(
        skin(functional_portal, "partager"),
        data={"form.submitted": "1", "recipient": " ", "_authenticator": form_token(form.text)},
        timeout=60,
    )
    assert answer.status_code == 400
    assert re.search(r'id="papers-error">Cochez au moins un papier\.<', answer.text)
    assert re.search(r'id="recipient-error">Écrivez qui reçoit le lien\.', answer.text)
    assert 'aria-describedby="recipient-hint recipient-error"' in answer.text
    assert links.links_of(fresh(vault)) == []


def test_share_form_needs_its_token(vault, functional_portal):
    session = owner(functional_portal)
    answer = session.post(
        skin(functional_portal, "partager"),
        data={
            "form.submitted": "1",
            "uids:list": [paper(vault, "Attestation CAF").UID()],
            "recipient": "CAF",
            "duration": "7d",
        },
        timeout=60,
    )
    assert answer.status_code == 403
    assert links.links_of(fresh(vault)) == []


def test_the_paper_is_ticked_and_the_link_and_code_shown_once(vault, functional_portal):
    session = owner(functional_portal)
    uid = paper(vault, "Attestation CAF").UID()
    form = session.get(skin(functional_portal, "partager", uids=uid), timeout=60)
    assert re.search(rf'value="{uid}"[^>]*checked|checked[^>]*value="{uid}"', form.text)
    result = session.post(
        skin(functional_portal, "partager"),
        data={
            "form.submitted": "1",
            "uids:list": [uid],
            "recipient": "CAF de Démoville",
            "duration": "7d",
            "with_code": "1",
            "_authenticator": form_token(form.text),
        },
        timeout=60,
    )
    assert result.status_code == 200, result.text[:800]
    token = re.search(r"@@lien#([A-Za-z0-9_-]{43,})", result.text).group(1)
    code = re.search(r'id="share-code">(\d{6})<', result.text).group(1)
    assert "30 novembre 2026 à 10 h 00" in result.text
    assert result.headers["Cache-Control"] == "private, no-store"
    assert len(links.links_of(fresh(vault))) == 1
    assert links.open_link(token, code) is not None
    shares = session.get(skin(functional_portal, "partages"), timeout=60)
    assert "CAF de Démoville" in shares.text and "Avec un code secret." in shares.text
    assert token not in shares.text and code not in shares.text


def test_the_owner_sees_the_opening_then_stops_the_link(vault, functional_portal):
    link, token, _ = make_link(vault)
    requests.post(
        f"{functional_portal.absolute_url()}/@@lien",
        data={"token": token, "download": paper(vault, "Attestation CAF").UID()},
        timeout=60,
    )
    session = owner(functional_portal)
    shares = session.get(skin(functional_portal, "partages"), timeout=60)
    assert "23 novembre 2026 à 10 h 00" in shares.text
    assert "copie téléchargée" in shares.text
    seen = text_of(session.get(skin(functional_portal, "historique"), timeout=60).text)
    assert (
        "CAF de Démoville a ouvert votre lien. "
        "Cette personne a téléchargé « Attestation CAF »." in seen
    )
    stopped = session.post(
        skin(functional_portal, "partages"),
        data={"link": link.getId(), "revoke": "1", "_authenticator": form_token(shares.text)},
        timeout=60,
        allow_redirects=False,
    )
    assert stopped.status_code == 303
    assert api.content.get_state(fresh(link)) == "revoked"
    after = session.get(stopped.headers["Location"], timeout=60)
    assert "Le lien est arrêté. Il ne marche plus." in after.text
    assert "Arrêter ce lien" not in after.text
    (entry,) = [e for e in history.entries(fresh(vault)) if e.action == "unshare"]
    assert entry.details["recipient"] == "CAF de Démoville"
    stopped_history = text_of(session.get(skin(functional_portal, "historique"), timeout=60).text)
    assert "Vous avez arrêté le lien pour CAF de Démoville." in stopped_history
    gone = requests.post(
        f"{functional_portal.absolute_url()}/@@lien", data={"token": token}, timeout=60
    )
    assert gone.status_code == 410


# --- mandates ---------------------------------------------------------------------------


def test_the_person_reads_and_signs_a_mandate_that_starts_when_the_agent_has_signed(
    vault, functional_portal
):
    mandate = pending_mandate(vault)
    session = owner(functional_portal)
    access = session.get(skin(functional_portal, "acces"), timeout=60)
    assert "À signer" in access.text and "Claire Bernard" in access.text
    sign_url = skin(functional_portal, "acces/signer", mandate=mandate.getId())
    page = session.get(sign_url, timeout=60)
    words = text_of(page.text)
    assert "Claire Bernard — CCAS" in words
    assert "Oui : Voir vos papiers partagés. Pas les télécharger." in words
    assert "Oui : Ajouter des papiers dans votre espace partagé." in words
    assert "Non : Télécharger et imprimer vos papiers partagés." in words
    assert "Vous aider à obtenir vos droits." in words
    assert "Depuis le : 23 novembre 2026" in words and "Jusqu'au : 23 mai 2027" in words
    refused = session.post(sign_url, data={"_authenticator": form_token(page.text)}, timeout=60)
    assert refused.status_code == 400
    assert re.search(r'id="agree-error">Cochez la case pour dire que vous êtes d', refused.text)
    assert fresh(mandate).person_signature is None
    signed = session.post(
        sign_url,
        data={"agree": "1", "_authenticator": form_token(page.text)},
        timeout=60,
        allow_redirects=False,
    )
    assert signed.status_code == 303
    assert api.content.get_state(fresh(mandate)) == "awaiting_signatures"
    waiting = session.get(signed.headers["Location"], timeout=60)
    assert "Vous avez signé le mandat." in waiting.text
    assert "L&#39;agent doit encore signer" in waiting.text or "L'agent doit encore signer" in (
        waiting.text
    )
    with acting_as("travailleur"):
        mandates.sign_as_agent(fresh(mandate))
    transaction.commit()
    assert api.content.get_state(fresh(mandate)) == "active"
    active = session.get(skin(functional_portal, "acces"), timeout=60)
    assert "En cours" in active.text
    seen = text_of(session.get(skin(functional_portal, "historique"), timeout=60).text)
    assert "Vous avez signé un mandat." in seen
    assert "Claire Bernard (CCAS) a signé le mandat." in seen


def test_the_agent_signing_last_is_not_needed_when_already_signed(vault, functional_portal):
    mandate = pending_mandate(vault)
    with acting_as("travailleur"):
        mandates.sign_as_agent(fresh(mandate))
    transaction.commit()
    session = owner(functional_portal)
    sign_url = skin(functional_portal, "acces/signer", mandate=mandate.getId())
    page = session.get(sign_url, timeout=60)
    signed = session.post(
        sign_url,
        data={"agree": "1", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert "Vous avez signé le mandat. Il est en cours maintenant." in signed.text
    assert api.content.get_state(fresh(mandate)) == "active"


def test_the_person_stops_a_mandate(vault, functional_portal):
    mandate = active_mandate(vault, agents=("travailleur",), scopes=("consult",))
    transaction.commit()
    session = owner(functional_portal)
    stop_url = skin(functional_portal, "acces/retirer", mandate=mandate.getId())
    confirm = session.get(stop_url, timeout=60)
    assert "Claire Bernard" in confirm.text
    assert "changez votre mot de passe" in confirm.text
    stopped = session.post(
        stop_url,
        data={"stop": "1", "_authenticator": form_token(confirm.text)},
        timeout=60,
    )
    assert stopped.status_code == 200
    assert "Le mandat est arrêté." in stopped.text
    assert api.content.get_state(fresh(mandate)) == "revoked"
    assert "Arrêté" in stopped.text


def test_signing_needs_a_post_with_the_token(vault, functional_portal):
    mandate = pending_mandate(vault)
    session = owner(functional_portal)
    answer = session.post(
        skin(functional_portal, "acces/signer", mandate=mandate.getId()),
        data={"agree": "1"},
        timeout=60,
    )
    assert answer.status_code == 403
    assert fresh(mandate).person_signature is None


# --- history, files -----------------------------------------------------------------------


def test_the_history_speaks_plain_words(vault, functional_portal):
    active_mandate(vault, agents=("travailleur",), scopes=("consult",))
    transaction.commit()
    worker = requests.Session()
    worker.auth = ("travailleur", PASSWORD)
    preview = worker.get(f"{paper(vault, 'Attestation CAF').absolute_url()}/@@preview", timeout=60)
    assert preview.status_code == 200
    seen = text_of(
        owner(functional_portal).get(skin(functional_portal, "historique"), timeout=60).text
    )
    assert "Claire Bernard (CCAS) a regardé « Attestation CAF »." in seen
    assert "Vous avez ajouté « Attestation CAF »." in seen
    english = text_of(
        owner(functional_portal, language="en")
        .get(skin(functional_portal, "historique"), timeout=60)
        .text
    )
    assert "Claire Bernard (CCAS) looked at “Attestation CAF”." in english


def test_my_files_show_ready_and_missing_papers(vault, functional_portal):
    from ccas.vault.checklists import list_checklists

    session = owner(functional_portal)
    page = session.get(skin(functional_portal, "dossiers"), timeout=60)
    checklists = list_checklists()
    assert checklists
    for checklist in checklists:
        assert checklist.title_fr in page.text
    one = session.get(skin(functional_portal, f"dossiers/{checklists[0].id}"), timeout=60)
    assert one.status_code == 200
    assert f">{checklists[0].title_fr}</h1>" in one.text
    assert "Manquant" in one.text or "Prêt" in one.text


# --- closing ------------------------------------------------------------------------------


def test_closing_asks_for_the_export_first_then_can_be_cancelled(vault, functional_portal):
    session = owner(functional_portal)
    page = session.get(skin(functional_portal, "fermer"), timeout=60)
    assert "vous avez 7 jours pour changer d" in page.text
    refused = session.post(
        skin(functional_portal, "fermer"),
        data={"close": "1", "confirm": "1", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert refused.status_code == 400
    assert "Téléchargez d&#39;abord vos papiers" in refused.text or (
        "Téléchargez d'abord vos papiers" in refused.text
    )
    assert api.content.get_state(fresh(vault)) == "open"
    export = session.get(skin(functional_portal, "fermer/telecharger"), timeout=60)
    assert export.status_code == 200
    assert export.headers["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(BytesIO(export.content)).namelist()
    assert "historique.csv" in names and any(name.startswith("papiers/") for name in names)
    page = session.get(skin(functional_portal, "fermer"), timeout=60)
    assert "Vous avez téléchargé vos papiers le" in page.text
    unticked = session.post(
        skin(functional_portal, "fermer"),
        data={"close": "1", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert unticked.status_code == 400
    assert 'id="confirm-error">Cochez la case pour dire que vous voulez fermer' in unticked.text
    closed = session.post(
        skin(functional_portal, "fermer"),
        data={"close": "1", "confirm": "1", "_authenticator": form_token(page.text)},
        timeout=60,
    )
    assert closed.status_code == 200
    assert api.content.get_state(fresh(vault)) == "closing"
    due = closing.deletion_due(fresh(vault))
    assert due - closing.closure_requested_at(fresh(vault)) == timedelta(days=7)
    assert f"Votre coffre sera effacé le {day_words(due)}." in text_of(closed.text)
    share = session.get(skin(functional_portal, "partager"), timeout=60)
    assert "Votre coffre va être fermé. Vous ne pouvez plus partager." in share.text
    assert 'id="share-form"' not in share.text
    kept = session.post(
        skin(functional_portal, "fermer"),
        data={"keep": "1", "_authenticator": form_token(closed.text)},
        timeout=60,
    )
    assert "Votre coffre reste ouvert. Rien n&#39;est effacé." in kept.text or (
        "Votre coffre reste ouvert. Rien n'est effacé." in kept.text
    )
    assert api.content.get_state(fresh(vault)) == "open"
    actions = [entry.action for entry in history.entries(fresh(vault))]
    assert actions[-2:] == ["close_requested", "close_cancelled"]


def test_every_history_action_reads_as_a_plain_sentence(vault, functional_portal):
    from ccas.vault.history.storage import ACTIONS

    document = paper(vault, "Attestation CAF")
    for action in ACTIONS:
        history.record(
            vault,
            action,
            actor="travailleur",
            target=document,
            details={"recipient": "CAF de Démoville", "documents": document.getId()},
        )
    request = functional_portal.REQUEST
    alsoProvides(request, IPublicSkinLayer)
    with acting_as("jdupont"):
        view = getMultiAdapter((vault, request), name="coffre-historique")
        view.subpath = []
        request.form["tout"] = "1"
        rows = view.rows()
    sentences = [row["sentence"] for row in rows[: len(ACTIONS)]]
    assert len(sentences) == len(ACTIONS)
    for sentence in sentences:
        assert "${" not in sentence and sentence.endswith("."), sentence
    assert "Claire Bernard (CCAS) a regardé «\u00a0Attestation CAF\u00a0»." in sentences


def test_texts_with_a_name_in_them_are_filled_in_never_left_as_placeholders(
    vault, functional_portal
):
    """Issue 20 item 5: ``alt="Aperçu de ${title}"`` on a paper's page."""
    document = paper(vault, "Attestation CAF")
    page = owner(functional_portal).get(
        skin(functional_portal, f"papier/{document.UID()}"), timeout=60
    )
    assert page.status_code == 200, page.text[:500]
    assert 'alt="Aperçu : Attestation CAF"' in page.text  # not « de Attestation »
    assert "${" not in page.text
