"""The sheets the CCAS hands out (issue 8): the welcome sheet of a vault and the four blank
templates (notice, consent form, charter, mandate form), each parsed with pypdf and checked
for the elements the CNIL listed and the CCAS's identity from the settings; who may print them.
"""

from ccas.vault.history import api as history
from io import BytesIO
from PIL import Image
from plone import api
from plone.formwidget.namedfile.converter import b64encode_file
from pypdf import PdfReader
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import pytest
import requests
import transaction


TEMPLATES = ("modele-notice", "modele-accord", "modele-charte", "modele-mandat")
ADDRESS = "12 rue de la Mairie\n69100 Villeurbanne"


def png_logo(size=(120, 60)):
    out = BytesIO()
    Image.new("RGB", size, (20, 60, 140)).save(out, format="PNG")
    return out.getvalue()


def set_identity(logo=None):
    settings = {
        "ccas_name": "CCAS de Villeurbanne",
        "ccas_address": ADDRESS,
        "ccas_phone": "04 78 00 00 00",
        "ccas_email": "ccas@villeurbanne.example",
        "ccas_hours": "Du lundi au vendredi, 9 h – 12 h\nAccueil au rez-de-chaussée",
        "closing_grace_days": 10,
    }
    for name, value in settings.items():
        api.portal.set_registry_record(f"ccas.vault.settings.{name}", value)
    if logo is not None:
        api.portal.set_registry_record(
            "ccas.vault.settings.ccas_logo", b64encode_file("logo.png", logo)
        )


def pdf_text(data):
    assert data.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return " ".join(text.split())


def images(data):
    return [image for page in PdfReader(BytesIO(data)).pages for image in page.images]


def header_on_every_page(data):
    for page in PdfReader(BytesIO(data)).pages:
        text = " ".join(page.extract_text().split())
        assert "CCAS de Villeurbanne" in text
        assert "12 rue de la Mairie" in text and "69100 Villeurbanne" in text


@pytest.fixture
def people(functional_portal):
    api.portal.set_registry_record("plone.default_language", "fr")
    set_identity(logo=png_logo())
    make_agent("accueil")
    make_agent("autre-agent")
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    make_user("archiviste", ["RecordsManager"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    open_vault_as("accueil", "mdurand", first="Marie", last="Durand")
    transaction.commit()
    return vault


def get(url, login):
    auth = (login, PASSWORD) if login else None
    return requests.get(url, auth=auth, timeout=60, allow_redirects=False)


REFUSED = (302, 401, 403, 404)


# --- the welcome sheet --------------------------------------------------------------


def test_the_welcome_sheet_says_how_to_get_in_and_never_the_password(people):
    vault = people
    response = get(f"{vault.absolute_url()}/@@feuille-accueil", "accueil")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 'filename="feuille-d-accueil-jdupont.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.content)
    portal_url = api.portal.get().absolute_url()
    for expected in (
        "Bienvenue dans votre coffre-fort numérique",
        "Jean Dupont",
        "Votre identifiant : jdupont",
        f"{portal_url}/mon-coffre",
        f"{portal_url}/mon-coffre/mot-de-passe-oublie",  # recovering access
        "04 78 00 00 00",  # help: the CCAS's phone, address, hours
        "Du lundi au vendredi, 9 h – 12 h",
        "Vous seul(e) pouvez voir vos papiers",  # exclusive access
        "Vous pouvez fermer votre coffre à tout moment",
        "effacés 10 jours après votre demande",  # the grace period from the settings
        "Ne mettez pas de papiers sur votre santé",
        "Personne au CCAS ne le connaît",
    ):
        assert expected in text, expected
    assert PASSWORD not in text
    header_on_every_page(response.content)
    assert images(response.content), "the CCAS's logo is printed"


def test_the_owner_prints_their_own_welcome_sheet(people):
    response = get(f"{people.absolute_url()}/@@feuille-accueil", "jdupont")
    assert response.status_code == 200
    assert "jdupont" in pdf_text(response.content)


def test_any_agent_who_opens_vaults_prints_it_and_the_person_sees_who_did(people):
    response = get(f"{people.absolute_url()}/@@feuille-accueil", "autre-agent")
    assert response.status_code == 200
    transaction.begin()
    (entry,) = [e for e in history.entries(people) if e.action == "welcome_sheet_printed"]
    assert entry.actor == "autre-agent"


def test_the_welcome_sheet_names_no_paper(people):
    from vaults import deposit_as

    deposit_as("jdupont", people["partage"], title="Avis d'imposition secret")
    transaction.commit()
    text = pdf_text(get(f"{people.absolute_url()}/@@feuille-accueil", "accueil").content)
    assert "Avis d'imposition secret" not in text
    assert "attestation" not in text.lower()


@pytest.mark.parametrize("login", [None, "mdurand", "manager", "siteadmin", "archiviste"])
def test_others_cannot_print_the_welcome_sheet(people, login):
    response = get(f"{people.absolute_url()}/@@feuille-accueil", login)
    assert response.status_code in REFUSED, login
    assert not response.content.startswith(b"%PDF")
    transaction.begin()
    assert "welcome_sheet_printed" not in [e.action for e in history.entries(people)]


# --- the four templates -------------------------------------------------------------


#: what the CNIL asked each sheet to carry (docs/decisions/0019)
CNIL = {
    "modele-notice": (
        "Notice d'information",
        "ne peuvent être vus que par vous",  # kind of space: only the person and the mandated
        "Comment s'en servir",  # conditions of use
        "Ce que vous pouvez faire",  # features
        "Vous seul(e) avez accès à vos papiers",  # exclusive access save by mandate
        "Vous pouvez fermer votre coffre à tout moment",
        "Ne mettez pas de papiers sur votre santé",
        "Les agents du CCAS ne le connaissent jamais",
        "Vous pouvez arrêter un mandat à tout moment",
    ),
    "modele-accord": (
        "Je, soussigné(e), donne mon accord pour être accompagné(e) par le CCAS de "
        "Villeurbanne dans l'ouverture et l'utilisation d'un coffre-fort numérique",
        "Je peux fermer mon coffre à tout moment",  # closing, and how long the papers stay
        "effacés 10 jours après ma demande",
        "Personne d'autre que moi n'a accès à mes papiers, sauf par un mandat",
        "Ce mandat n'est pas obligatoire",
        "Les agents du CCAS ne le connaissent jamais",
        "Je ne dois pas mettre de papiers sur ma santé",
        "Date de naissance",
        "La personne",
    ),
    "modele-charte": (
        "Charte du coffre-fort numérique",
        "Vos engagements",
        "Les engagements des agents",
        "Ce que le CCAS de Villeurbanne s'engage à faire",
        "Ce que le CCAS de Villeurbanne ne fait pas",
        "dans l'exercice de leurs missions",
    ),
    "modele-mandat": (
        "Mandat d'accompagnement administratif",
        "complète mon accord pour ouvrir mon coffre",
        "Je peux refuser de le signer",
        "Les agents mandatés (chacun signe)",
        "Consulter mes papiers (aperçu)",  # the scope, to tick partly
        "Déposer des papiers",
        "Une case cochée : je l'autorise",
        "faciliter mes démarches et l'accès à mes droits",  # the purpose
        "dans l'exercice de leurs missions",
        "Je peux arrêter ce mandat à tout moment",
        "je change mon mot de passe",
        "Jamais dans mon espace privé",
    ),
}


@pytest.mark.parametrize("name", TEMPLATES)
def test_each_template_carries_the_cnil_elements_and_the_ccas(people, name):
    response = get(f"{api.portal.get().absolute_url()}/@@{name}", "accueil")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith('inline; filename="')
    text = pdf_text(response.content)
    for expected in CNIL[name]:
        assert expected in text, expected
    header_on_every_page(response.content)
    assert images(response.content), "the CCAS's logo is printed"


def test_without_a_logo_or_a_name_the_site_title_heads_the_sheet(functional_portal):
    from ccas.vault.printouts.templates import information_notice

    api.portal.get().REQUEST.other.pop("_plone_registry_cache", None)
    api.portal.set_registry_record("ccas.vault.settings.ccas_name", "")
    data = information_notice()
    assert api.portal.get().Title() in pdf_text(data)
    assert images(data) == []


@pytest.mark.parametrize("login", ["accueil", "archiviste", "manager", "siteadmin"])
def test_agents_and_records_managers_print_the_templates(people, login):
    for name in TEMPLATES:
        response = get(f"{api.portal.get().absolute_url()}/@@{name}", login)
        assert response.status_code == 200, (login, name)
    page = get(f"{api.portal.get().absolute_url()}/@@modeles-a-imprimer", login)
    assert page.status_code == 200
    for name in TEMPLATES:
        assert f"@@{name}" in page.text


@pytest.mark.parametrize("login", [None, "jdupont"])
def test_anonymous_and_beneficiaries_cannot_print_the_templates(people, login):
    for name in (*TEMPLATES, "modeles-a-imprimer"):
        response = get(f"{api.portal.get().absolute_url()}/@@{name}", login)
        assert response.status_code in REFUSED, (login, name)
        assert not response.content.startswith(b"%PDF")


def test_the_intranet_page_lists_the_sheets_in_french(people):
    page = get(f"{api.portal.get().absolute_url()}/@@modeles-a-imprimer", "accueil")
    assert "Feuilles à imprimer" in page.text
    assert page.text.count("<h1") == 1  # its own title, not the site's
    assert "Notice d'information" in page.text
