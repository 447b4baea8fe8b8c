"""The beneficiary's skin at /mon-coffre: routing, log in, 'Mes papiers', add a paper, one paper."""

from ccas.vault import clock
from ccas.vault.browser.public.papers import badges
from ccas.vault.browser.public.papers import review_state
from ccas.vault.document_types import get_document_type
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from datetime import date
from datetime import datetime
from io import BytesIO
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from pypdf import PdfReader
from test_watermark import multi_page_pdf
from test_watermark import photo
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import re
import requests
import transaction


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    make_user("staff")
    make_user("manager", ["Manager"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as(
        "jdupont",
        vault["prive"],
        document_type="bulletin-salaire",
        title="Bulletin de septembre",
        data=multi_page_pdf(1),
        issued=date(2026, 9, 15),  # valid until 15/12/2026: expires within 30 days
    )
    deposit_as(
        "jdupont",
        vault["partage"],
        document_type="cni",
        title="Ma carte",
        issued=date(2020, 1, 10),
    )
    deposit_as(
        "jdupont",
        vault["partage"],
        document_type="attestation-caf",
        title="Vieille attestation",
        valid_until=date(2026, 10, 1),
    )
    other = consent_as_owner(
        open_vault_as("accueil", "mmartin", first="Marie", last="Martin", born=date(1990, 2, 3))
    )
    deposit_as("mmartin", other["prive"], title="Papier de Marie", data=multi_page_pdf(1))
    transaction.commit()
    return vault


def fresh(obj):
    obj._p_jar.sync()
    return obj


def paper(vault, title):
    for space in ("partage", "prive"):
        for doc in fresh(vault)[space].objectValues():
            if doc.Title() == title:
                return doc
    raise KeyError(title)


def get(url, session=None, **kw):
    return (session or requests).get(url, timeout=60, allow_redirects=False, **kw)


# --- routing, who sees what -----------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(vault, functional_portal):
    answer = get(skin(functional_portal, "papiers"))
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(
        skin(functional_portal, "connexion") + "?came_from="
    )
    assert "papiers" in answer.headers["Location"]
    root = get(skin(functional_portal))
    assert root.headers["Location"] == skin(functional_portal, "connexion")


def test_the_login_page_is_light_and_french(vault, functional_portal):
    page = get(skin(functional_portal, "connexion"))
    assert page.status_code == 200
    assert '<html lang="fr"' in page.text.replace("\n", "")
    assert "Votre identifiant" in page.text and "Votre mot de passe" in page.text
    assert "mail" not in page.text.lower()
    # no Plone toolbar, no Classic UI bundle, no Diazo theme
    for heavy in ("plone-toolbar", "++plone++", "++theme++", "portal-column", "bundle"):
        assert heavy not in page.text
    assert page.headers["Cache-Control"] == "private, no-store"
    css = get(skin(functional_portal, "style.css"))
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    assert "max-age=31536000" in css.headers["Cache-Control"]


def test_unknown_pages_are_not_found(vault, functional_portal):
    assert get(skin(functional_portal, "nimporte-quoi")).status_code == 404


def test_the_skin_pages_exist_only_under_mon_coffre(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    for url in (
        f"{vault.absolute_url()}/coffre-papiers",
        f"{vault.absolute_url()}/@@coffre-papiers",
        f"{functional_portal.absolute_url()}/coffre-connexion",
    ):
        assert get(url, session).status_code == 404, url


def test_a_wrong_password_is_explained_next_to_the_field(vault, functional_portal):
    answer = requests.post(
        skin(functional_portal, "connexion"),
        data={"__ac_name": "jdupont", "__ac_password": "faux", "form.submitted": "1"},
        timeout=60,
    )
    assert answer.status_code == 200
    error = re.search(r'<p class="field-error" id="password-error"[^>]*>([^<]+)</p>', answer.text)
    assert error and "mot de passe" in error.group(1) and "Vérifiez" in error.group(1)
    assert 'aria-describedby="password-error"' in answer.text
    assert not re.search(r"__ac=(?!deleted)", answer.headers.get("Set-Cookie", ""))
    empty = requests.post(
        skin(functional_portal, "connexion"),
        data={"__ac_name": "", "__ac_password": "", "form.submitted": "1"},
        timeout=60,
    )
    assert 'id="login-error"' in empty.text and 'id="password-error"' in empty.text


def test_log_in_goes_back_where_asked_and_is_traced_then_log_out(vault, functional_portal):
    session = requests.Session()
    came_from = skin(functional_portal, "ajouter")
    answer = session.post(
        skin(functional_portal, "connexion"),
        data={
            "__ac_name": "jdupont",
            "__ac_password": PASSWORD,
            "form.submitted": "1",
            "came_from": came_from,
        },
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["Location"] == came_from
    assert "login" in [entry.action for entry in history.entries(fresh(vault))]
    assert get(skin(functional_portal, "papiers"), session).status_code == 200
    outside = session.post(
        skin(functional_portal, "connexion"),
        data={
            "__ac_name": "jdupont",
            "__ac_password": PASSWORD,
            "form.submitted": "1",
            "came_from": "https://ailleurs.example/",
        },
        timeout=60,
        allow_redirects=False,
    )
    assert outside.headers["Location"] == skin(functional_portal, "papiers")
    bye = get(skin(functional_portal, "deconnexion"), session)
    assert bye.status_code == 303
    assert get(skin(functional_portal, "papiers"), session).status_code == 302


@pytest.mark.parametrize("login", ["staff", "accueil", "manager"])
def test_people_without_a_vault_get_a_french_page_and_nothing_else(vault, functional_portal, login):
    session = skin_session(functional_portal, login)
    page = get(skin(functional_portal, "papiers"), session)
    assert page.status_code == 403
    assert "pour les personnes qui ont un coffre" in page.text
    assert "Bulletin" not in page.text
    uid = paper(vault, "Bulletin de septembre").UID()
    mine = get(skin(functional_portal, f"papier/{uid}"), session)
    assert mine.status_code == 403 and "Bulletin" not in mine.text


def test_another_beneficiary_cannot_open_my_paper(vault, functional_portal):
    uid = paper(vault, "Bulletin de septembre").UID()
    marie = skin_session(functional_portal, "mmartin")
    answer = get(skin(functional_portal, f"papier/{uid}"), marie)
    assert answer.status_code == 404
    assert "Bulletin de septembre" not in answer.text
    listing = get(skin(functional_portal, "papiers"), marie)
    assert "Papier de Marie" in listing.text and "Bulletin de septembre" not in listing.text


# --- Mes papiers ----------------------------------------------------------------------------


def test_my_papers_are_grouped_by_category_with_their_badges(vault, functional_portal):
    certified = paper(vault, "Ma carte")
    with as_system():  # the workflow state a certification by the CCAS leaves
        api.content.transition(obj=certified, transition="certify")
    transaction.commit()
    session = skin_session(functional_portal, "jdupont")
    page = get(skin(functional_portal, "papiers"), session)
    assert page.status_code == 200
    text = page.text
    assert "Mes papiers" in text
    # categories in their fixed order: identity, income, work
    assert text.index("Identité") < text.index("Ressources") < text.index("Travail")

    def card(title):
        return re.search(rf'<li class="card".*?{re.escape(title)}.*?</li>', text, re.S).group(0)

    assert "expire bientôt" in card("Bulletin de septembre")
    assert "Valable jusqu'au 15/12/2026" in card("Bulletin de septembre")
    assert "expiré" in card("Vieille attestation")
    assert "certifié CCAS" in card("Ma carte")
    assert "expire" not in card("Ma carte")
    assert "Espace privé" in card("Bulletin de septembre")


def test_badges_follow_the_frozen_clock(vault, frozen):
    payslip = paper(vault, "Bulletin de septembre")
    info = get_document_type("bulletin-salaire")

    def texts():
        return [
            str(text)
            for _, text in badges(payslip, review_state(payslip), info, clock.paris_now().date())
        ]

    frozen(datetime(2026, 11, 1, 9, 0))  # 44 days before the end
    assert texts() == []
    frozen(datetime(2026, 11, 15, 9, 0))  # 30 days before
    assert texts() == ["expires soon"]
    frozen(datetime(2026, 12, 16, 9, 0))  # the day after
    assert texts() == ["expired"]


# --- adding papers --------------------------------------------------------------------------


def add_form(session, functional_portal):
    page = get(skin(functional_portal, "ajouter"), session)
    assert page.status_code == 200
    return form_token(page.text)


def test_two_photos_become_one_pdf_of_two_pages(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    token = add_form(session, functional_portal)
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "bulletin-salaire",
            "title": "Bulletin d'octobre",
            "issued": "2026-10-31",
            "space": "prive",
        },
        files=[
            ("photos", ("page1.jpg", photo("navy"), "image/jpeg")),
            ("photos", ("page2.jpg", photo("maroon", size=(480, 640)), "image/jpeg")),
        ],
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:2000]
    document = paper(vault, "Bulletin d'octobre")
    assert answer.headers["Location"].endswith(f"ajoute={document.UID()}")
    assert document.origin == "camera"
    assert document.file.contentType == "application/pdf"
    assert len(PdfReader(BytesIO(document.file.data)).pages) == 2
    assert document.valid_until == date(2027, 1, 31)
    listing = get(answer.headers["Location"], session)
    assert "Votre papier est ajouté" in listing.text and "Bulletin d'octobre" in listing.text


def test_a_file_is_added_as_it_is(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    token = add_form(session, functional_portal)
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "rib",
            "space": "partage",
        },
        files={"file": ("rib.pdf", multi_page_pdf(2), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303
    rib = [doc for doc in fresh(vault)["partage"].objectValues() if doc.document_type == "rib"]
    assert len(rib) == 1 and rib[0].origin == "upload"
    assert len(PdfReader(BytesIO(rib[0].file.data)).pages) == 2


def count_papers(vault):
    vault = fresh(vault)
    return sum(len(vault[space].objectIds()) for space in ("prive", "partage"))


def test_a_refused_file_is_explained_in_french_next_to_the_field_and_nothing_is_kept(
    vault, functional_portal
):
    before = count_papers(vault)
    session = skin_session(functional_portal, "jdupont")
    token = add_form(session, functional_portal)
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "attestation-caf",
            "title": "Mon attestation",
        },
        files={
            "file": ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00", "application/pdf")
        },
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 400
    error = re.search(r'<p class="field-error" id="file-error"[^>]*>([^<]+)</p>', answer.text)
    assert error, answer.text[-3000:]
    assert error.group(1).strip().endswith(".")
    assert re.search(r"[éèàêç]|ce fichier|Ce fichier", error.group(1))
    assert 'aria-describedby="file-hint file-error"' in answer.text
    # nothing lost: the form keeps the type and the title
    assert 'value="Mon attestation"' in answer.text
    assert re.search(r'<option value="attestation-caf"\s+selected', answer.text)
    assert count_papers(vault) == before
    assert history.entries(fresh(vault))[-1].action == "refused"


def test_missing_choices_are_explained_next_to_each_field(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    token = add_form(session, functional_portal)
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={"form.submitted": "1", "_authenticator": token, "issued": "31/02/2026"},
        timeout=60,
    )
    assert answer.status_code == 400
    assert "Choisissez le type de papier dans la liste." in answer.text
    assert 'id="issued-error"' in answer.text
    none = session.post(
        skin(functional_portal, "ajouter"),
        data={"form.submitted": "1", "_authenticator": token, "document_type": "rib"},
        timeout=60,
    )
    assert 'id="photos-error"' in none.text and "photo" in none.text


def test_a_health_paper_needs_the_box_ticked(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    token = add_form(session, functional_portal)
    form = {"form.submitted": "1", "_authenticator": token, "document_type": "document-sante"}
    files = {"file": ("ordonnance.pdf", multi_page_pdf(1), "application/pdf")}
    before = count_papers(vault)
    first = session.post(skin(functional_portal, "ajouter"), data=form, files=files, timeout=60)
    assert first.status_code == 400
    assert 'name="health_confirmed"' in first.text and "santé" in first.text
    assert count_papers(vault) == before
    files = {"file": ("ordonnance.pdf", multi_page_pdf(1), "application/pdf")}
    second = session.post(
        skin(functional_portal, "ajouter"),
        data={**form, "health_confirmed": "1"},
        files=files,
        timeout=60,
        allow_redirects=False,
    )
    assert second.status_code == 303
    assert count_papers(vault) == before + 1


def test_posting_without_the_form_token_is_refused(vault, functional_portal):
    before = count_papers(vault)
    session = skin_session(functional_portal, "jdupont")
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={"form.submitted": "1", "document_type": "rib"},
        files={"file": ("rib.pdf", multi_page_pdf(1), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code >= 400
    assert count_papers(vault) == before


# --- one paper ------------------------------------------------------------------------------


def test_one_paper_shows_its_actions_and_its_history(vault, functional_portal):
    document = paper(vault, "Bulletin de septembre")
    session = skin_session(functional_portal, "jdupont")
    page = get(skin(functional_portal, f"papier/{document.UID()}"), session)
    assert page.status_code == 200
    text = page.text
    base = document.absolute_url()
    assert f'href="{base}/@@print"' in text and "Imprimer" in text
    assert f'href="{base}/@@download/file"' in text and "Télécharger" in text
    assert f'href="{skin(functional_portal, "partager")}?uids={document.UID()}"' in text
    assert "Partager" in text and "Remplacer" in text
    assert f'src="{base}/@@preview"' in text
    history_list = re.search(
        r'<ul class="history" id="paper-history">(.*?)</ul>', text, re.S
    ).group(1)
    assert "Dépôt" in history_list
    preview = session.get(f"{base}/@@preview", timeout=60)
    assert preview.headers["Content-Type"] == "image/png"
    printed = session.get(f"{base}/@@print", timeout=60)
    assert printed.content.startswith(b"%PDF")
    again = get(skin(functional_portal, f"papier/{document.UID()}"), session)
    lines = re.search(r'<ul class="history" id="paper-history">(.*?)</ul>', again.text, re.S).group(
        1
    )
    assert "Impression" in lines and "Aperçu" in lines


def test_replacing_a_paper_keeps_the_old_one(vault, functional_portal):
    document = paper(vault, "Vieille attestation")
    session = skin_session(functional_portal, "jdupont")
    url = skin(functional_portal, f"papier/{document.UID()}")
    token = form_token(get(url, session).text)
    answer = session.post(
        url,
        data={"form.submitted": "1", "_authenticator": token},
        files={"file": ("caf.pdf", multi_page_pdf(1), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[-2000:]
    old = fresh(document)
    assert api.content.get_state(old) == "superseded"
    newer = get(answer.headers["Location"], session)
    assert "La nouvelle version est enregistrée" in newer.text
    assert f"papier/{old.UID()}" in newer.text  # link to the old version
    listing = get(skin(functional_portal, "papiers"), session).text
    assert listing.count("Vieille attestation") == 1


def test_a_refused_replacement_says_why_next_to_the_field(vault, functional_portal):
    document = paper(vault, "Vieille attestation")
    session = skin_session(functional_portal, "jdupont")
    url = skin(functional_portal, f"papier/{document.UID()}")
    token = form_token(get(url, session).text)
    answer = session.post(
        url,
        data={"form.submitted": "1", "_authenticator": token},
        files={"photos": ("photo.jpg", b"not a photo at all", "image/jpeg")},
        timeout=60,
    )
    assert answer.status_code == 400
    assert 'id="photos-error"' in answer.text
    assert api.content.get_state(fresh(document)) != "superseded"


# --- language -------------------------------------------------------------------------------


def test_english_after_switching_the_language(vault, functional_portal):
    session = skin_session(functional_portal, "jdupont")
    french = get(skin(functional_portal, "papiers"), session)
    assert "Mes papiers" in french.text and 'lang="fr"' in french.text
    switch = get(
        skin(functional_portal, "langue", code="en", came_from=skin(functional_portal, "papiers")),
        session,
    )
    assert switch.status_code == 303
    assert switch.headers["Location"] == skin(functional_portal, "papiers")
    english = get(skin(functional_portal, "papiers"), session)
    assert "My papers" in english.text and "Mes papiers" not in english.text
    assert "expires soon" in english.text and "Payslip" in english.text
    assert '<html lang="en"' in english.text.replace("\n", "")
    back = get(skin(functional_portal, "langue", code="fr"), session)
    assert back.headers["Location"] == skin(functional_portal, "papiers")
    assert "Mes papiers" in get(skin(functional_portal, "papiers"), session).text


def test_the_language_switch_never_sends_outside_the_skin(vault, functional_portal):
    answer = get(skin(functional_portal, "langue", code="en", came_from="https://evil.example/"))
    assert answer.headers["Location"] == skin(functional_portal, "papiers")
