"""The REST services of the vault, through HTTP (++api++) against the functional portal.

Users and vaults are made with plone.api in the test, then committed; the
functional layer rolls every commit back after each test.
"""

from ccas.vault import roles
from ccas.vault.history import api as history
from io import BytesIO
from PIL import Image
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import csv
import hashlib
import io
import json
import pytest
import transaction
import zipfile


ODT = "application/vnd.oasis.opendocument.text"


def b64(data):
    return base64.b64encode(data).decode("ascii")


def file_json(data, filename="attestation.pdf", content_type="application/pdf"):
    return {"filename": filename, "content_type": content_type, "data": b64(data)}


def jpeg_bytes(size=(1600, 1200)):
    out = BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def odt_bytes():
    office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
    manifest = 'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODT, zipfile.ZIP_STORED)
        archive.writestr(
            "content.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {office} '
            'office:version="1.3"><office:body><office:text/></office:body>'
            "</office:document-content>",
        )
        archive.writestr(
            "META-INF/manifest.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest {manifest} '
            f'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" '
            f'manifest:media-type="{ODT}"/></manifest:manifest>',
        )
    return buffer.getvalue()


def opening(**changes):
    body = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "birth_date": "1980-05-17",
        "login": "jdupont",
        "password": PASSWORD,
        "contact_channel": "none",
        "preferred_language": "fr",
        "receive_ccas_letters": False,
        "ged_person_ids": ["GED-42"],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def assert_french_error(response, status, code):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == code
    assert error["message"] and error["message_fr"]
    assert error["message"] != error["message_fr"]
    return error


def fresh(obj):
    """``obj`` as the server left it (new transaction, fresh look-up)."""
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    transaction.commit()
    return functional_portal


@pytest.fixture
def http(request_factory):
    """``http(login)``: a ++api++ session as ``login`` (None: anonymous)."""

    def session(login=None):
        if login is None:
            return request_factory()
        if login == SITE_OWNER_NAME:
            return request_factory(role="Manager")
        return request_factory(basic_auth=(login, PASSWORD))

    return session


@pytest.fixture
def vault(site):
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    transaction.commit()
    return vault


def vault_path(vault, *rest):
    return "/".join(("coffres", vault.getId(), *rest))


def mandate(vault, login, *mandate_roles):
    """An agent holding mandate roles on the shared space (granted directly for the test)."""
    if api.user.get(username=login) is None:
        make_agent(login)
    vault["partage"].manage_setLocalRoles(login, list(mandate_roles))
    vault["partage"].reindexObjectSecurity()


# --- @vaults: open -------------------------------------------------------------


def test_an_agent_opens_a_vault(site, http):
    response = http("accueil").post("coffres/@vaults", json=opening())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["review_state"] == "awaiting_consent"
    assert body["id"].startswith("c-")
    assert body["@id"].endswith(f"/coffres/{body['id']}")
    assert response.headers["Location"] == body["@id"]
    transaction.begin()
    vault = site["coffres"][body["id"]]
    assert (vault.owner_login, vault.birth_date.isoformat()) == ("jdupont", "1980-05-17")
    assert vault.ged_person_ids == ["GED-42"]
    assert [(e.action, e.actor) for e in history.entries(vault)] == [("open", "accueil")]
    assert site.acl_users.authenticate("jdupont", PASSWORD, site.REQUEST)


def test_every_field_is_checked_with_a_french_message(site, http):
    body = opening(
        first_name="  ",
        last_name=None,
        birth_date="17/05/1980",
        login="Jean Dupont",
        password="",
        email="pas-une-adresse",
        phone="06 ab",
        contact_channel="pigeon",
        preferred_language="de",
        receive_ccas_letters="peut-être",
        ged_person_ids=[42],
    )
    response = http("accueil").post("coffres/@vaults", json=body)
    error = assert_french_error(response, 400, "invalid_fields")
    assert set(error["fields"]) == {
        "first_name",
        "last_name",
        "birth_date",
        "login",
        "password",
        "email",
        "phone",
        "contact_channel",
        "preferred_language",
        "receive_ccas_letters",
        "ged_person_ids",
    }
    assert error["fields"]["birth_date"]["fr"].startswith("Écrivez la date")
    assert all(message["en"] and message["fr"] for message in error["fields"].values())
    transaction.begin()
    assert not site["coffres"].objectIds()
    assert api.user.get(username="jdupont") is None


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"birth_date": "1980-02-30"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"login": "jd"}, "login"),
        ({"login": "jean.dupont-"}, "login"),
        ({"contact_channel": "email"}, "email"),
        ({"contact_channel": "sms"}, "phone"),
        ({"password": None}, "password"),
    ],
)
def test_one_bad_field(site, http, changes, field):
    response = http("accueil").post("coffres/@vaults", json=opening(**changes))
    error = assert_french_error(response, 400, "invalid_fields")
    assert list(error["fields"]) == [field]


def test_a_body_that_is_not_json_is_a_400(site, http):
    response = http("accueil").post(
        "coffres/@vaults", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert_french_error(response, 400, "invalid_json")


def test_a_second_vault_for_the_same_person_is_a_409(vault, http):
    response = http("accueil").post(
        "coffres/@vaults", json=opening(login="jdupont2", first_name="JEAN")
    )
    error = assert_french_error(response, 409, "duplicate_vault")
    assert error["vault_ids"] == [vault.getId()]
    assert "existe déjà" in error["message_fr"]
    response = http("accueil").post(
        "coffres/@vaults", json=opening(login="jdupont2", allow_duplicate=True)
    )
    assert response.status_code == 201


def test_the_api_refusals_are_400_with_their_code(vault, http):
    response = http("accueil").post(
        "coffres/@vaults", json=opening(first_name="Paul", login="jdupont")
    )
    assert_french_error(response, 400, "login_taken")
    response = http("accueil").post(
        "coffres/@vaults", json=opening(first_name="Paul", login="pdupont", password="court")
    )
    error = assert_french_error(response, 400, "account_refused")
    assert "8 caractères" in error["message_fr"]


@pytest.mark.parametrize("login, status", [(None, 401), ("jdupont", 403), (SITE_OWNER_NAME, 403)])
def test_only_agents_open_vaults(vault, http, login, status):
    response = http(login).post("coffres/@vaults", json=opening(login="other"))
    assert_french_error(response, status, "Unauthorized" if status == 401 else "Forbidden")
    assert api.user.get(username="other") is None


# --- @vaults: find -------------------------------------------------------------


def test_agents_find_vaults_by_name_and_birth_date(vault, http):
    response = http("accueil").get("coffres/@vaults?last_name=DUPONT&birth_date=1980-05-17")
    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "id": vault.getId(),
            "first_name": "Jean",
            "last_name": "Dupont",
            "birth_date": "1980-05-17",
        }
    ]
    response = http("accueil").get("coffres/@vaults?last_name=dupont&first_name=marc")
    assert response.json()["items"] == []


def test_finding_needs_a_last_name_and_a_real_date(vault, http):
    error = assert_french_error(
        http("accueil").get("coffres/@vaults?first_name=jean&birth_date=1980-13-01"),
        400,
        "invalid_fields",
    )
    assert set(error["fields"]) == {"last_name", "birth_date"}


@pytest.mark.parametrize("login, status", [(None, 401), ("jdupont", 403), (SITE_OWNER_NAME, 403)])
def test_only_agents_find_vaults(vault, http, login, status):
    assert http(login).get("coffres/@vaults?last_name=dupont").status_code == status


# --- @consent ------------------------------------------------------------------


@pytest.fixture
def new_vault(site):
    vault = open_vault_as("accueil", "jdupont", receive_ccas_letters=False)
    transaction.commit()
    return vault


def test_the_person_gives_an_electronic_consent(new_vault, http):
    response = http("jdupont").post(
        vault_path(new_vault, "@consent"),
        json={"method": "electronic", "receive_ccas_letters": True},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["review_state"], body["receive_ccas_letters"]) == ("open", True)
    assert body["consent"]["method"] == "electronic"
    assert body["consent"]["recorded_by"] == "jdupont"
    vault = fresh(new_vault)
    assert api.content.get_state(vault) == "open"
    assert history.entries(vault)[-1].action == "consent"


def test_an_agent_records_a_paper_consent_with_the_scan(new_vault, http):
    response = http("accueil").post(
        vault_path(new_vault, "@consent"),
        json={"method": "paper", "form": file_json(pdf_bytes("Accord"), "accord signé.pdf")},
    )
    assert response.status_code == 200, response.text
    form = response.json()["consent"]["form"]
    assert (form["filename"], form["content_type"]) == ("accord signé.pdf", "application/pdf")
    vault = fresh(new_vault)
    assert vault.consents[0]["form"].data.startswith(b"%PDF")


def test_a_paper_consent_can_be_sent_as_multipart(new_vault, http):
    response = http("accueil").post(
        vault_path(new_vault, "@consent"),
        data={"method": "paper", "receive_ccas_letters": "true"},
        files={"form": ("accord.jpg", jpeg_bytes((300, 400)), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["consent"]["form"]["content_type"] == "image/jpeg"
    assert response.json()["receive_ccas_letters"] is True


@pytest.mark.parametrize(
    "login, body, code",
    [
        ("accueil", {"method": "paper"}, "form_missing"),
        ("accueil", {"method": "paper", "form": file_json(b"MZ\x90\x00 exe")}, "unsupported_type"),
        ("accueil", {"method": "paper", "form": file_json(odt_bytes())}, "form_not_a_scan"),
        ("accueil", {"method": "paper", "form": {"data": "%%%"}}, "bad_base64"),
        ("accueil", {"method": "electronic"}, "not_the_owner"),
        ("jdupont", {"method": "by pigeon"}, "invalid_fields"),
        ("jdupont", {}, "invalid_fields"),
    ],
)
def test_refused_consents_leave_the_vault_waiting(new_vault, http, login, body, code):
    response = http(login).post(vault_path(new_vault, "@consent"), json=body)
    assert_french_error(response, 400, code)
    vault = fresh(new_vault)
    assert api.content.get_state(vault) == "awaiting_consent"
    assert not vault.consents


@pytest.mark.parametrize("login, status", [(None, 401), ("curieux", 403), (SITE_OWNER_NAME, 403)])
def test_strangers_cannot_record_a_consent(new_vault, http, login, status):
    make_user("curieux")
    transaction.commit()
    response = http(login).post(vault_path(new_vault, "@consent"), json={"method": "electronic"})
    assert response.status_code == status
    assert api.content.get_state(fresh(new_vault)) == "awaiting_consent"


def test_consent_is_given_once(vault, http):
    response = http("jdupont").post(vault_path(vault, "@consent"), json={"method": "electronic"})
    assert response.status_code == 403


# --- @deposit ------------------------------------------------------------------


def test_the_owner_deposits_a_pdf_as_json(vault, http):
    data = pdf_bytes()
    response = http("jdupont").post(
        vault_path(vault, "prive", "@deposit"),
        json={
            "document_type": "attestation-caf",
            "title": "Attestation CAF de janvier",
            "issued": "2026-01-31",
            "file": file_json(data),
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert (body["review_state"], body["content_type"]) == ("deposited", "application/pdf")
    assert body["filename"] == "attestation.pdf"
    assert body["valid_until"] == "2026-04-30"
    assert response.headers["Location"] == body["@id"]
    assert response.headers["Cache-Control"] == "private, no-store"
    vault = fresh(vault)
    (document,) = vault["prive"].objectValues()
    assert (document.UID(), document.title) == (body["UID"], "Attestation CAF de janvier")
    assert document.file.data == data
    assert history.entries(vault)[-1].action == "deposit"


def test_a_photo_is_deposited_as_multipart(vault, http):
    response = http("jdupont").post(
        vault_path(vault, "prive", "@deposit"),
        data={"document_type": "cni", "issued": "2025-06-01", "origin": "camera"},
        files={"file": ("IMG_0001.JPG", jpeg_bytes(), "image/jpeg")},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["content_type"], body["filename"]) == ("image/jpeg", "IMG_0001.jpg")
    (document,) = fresh(vault)["prive"].objectValues()
    assert document.origin == "camera"


def test_a_refused_file_stores_nothing_but_its_history_line(vault, http):
    before = len(history.entries(vault))
    response = http("jdupont").post(
        vault_path(vault, "prive", "@deposit"),
        json={
            "document_type": "attestation-caf",
            "file": file_json(b"MZ\x90\x00 not a pdf", "cv.pdf"),
        },
    )
    error = assert_french_error(response, 400, "unsupported_type")
    assert "PDF" in error["message_fr"]
    vault = fresh(vault)
    assert not vault["prive"].objectIds()
    entries = history.entries(vault)
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].actor) == ("refused", "jdupont")
    assert dict(entries[-1].details) == {
        "code": "unsupported_type",
        "filename": "cv.pdf",
        "operation": "deposit",
    }
    assert history.verify(vault) is None


def test_a_refused_multipart_file_is_traced_too(vault, http):
    response = http("jdupont").post(
        vault_path(vault, "prive", "@deposit"),
        data={"document_type": "attestation-caf"},
        files={"file": ("vide.pdf", b"", "application/pdf")},
    )
    assert_french_error(response, 400, "empty")
    vault = fresh(vault)
    assert not vault["prive"].objectIds()
    assert history.entries(vault)[-1].details["code"] == "empty"


@pytest.mark.parametrize(
    "body, code, field",
    [
        ({"document_type": "attestation-caf", "file": None}, "file_missing", "file"),
        (
            {"document_type": "attestation-caf", "file": {"filename": "a.pdf", "data": "@@@"}},
            "bad_base64",
            "file",
        ),
        ({"document_type": "attestation-caf", "file": "JVBERi0="}, "bad_file", "file"),
        ({}, "invalid_fields", "document_type"),
        ({"document_type": "cni", "issued": "31/01/2026"}, "invalid_fields", "issued"),
        ({"document_type": "cni", "health_confirmed": "bof"}, "invalid_fields", "health_confirmed"),
    ],
)
def test_malformed_deposits_are_400_and_leave_no_trace(vault, http, body, code, field):
    before = len(history.entries(vault))
    body = {"file": file_json(pdf_bytes()), **body}
    body = {key: value for key, value in body.items() if value is not None}
    response = http("jdupont").post(vault_path(vault, "prive", "@deposit"), json=body)
    error = assert_french_error(response, 400, code)
    assert field in error["fields"]
    vault = fresh(vault)
    assert not vault["prive"].objectIds()
    assert len(history.entries(vault)) == before


def test_health_papers_need_the_confirmation(vault, http):
    url = vault_path(vault, "prive", "@deposit")
    body = {"document_type": "document-sante", "file": file_json(pdf_bytes())}
    error = assert_french_error(http("jdupont").post(url, json=body), 400, "health_confirmation")
    assert "santé" in error["message_fr"]
    assert not fresh(vault)["prive"].objectIds()
    response = http("jdupont").post(url, json={**body, "health_confirmed": True})
    assert response.status_code == 201


def test_an_unknown_document_type_is_refused(vault, http):
    response = http("jdupont").post(
        vault_path(vault, "prive", "@deposit"),
        json={"document_type": "carte-de-fidelite", "file": file_json(pdf_bytes())},
    )
    assert_french_error(response, 400, "unknown_document_type")


@pytest.mark.parametrize(
    "login, space, status",
    [
        (None, "prive", 401),
        (None, "partage", 401),
        ("accueil", "prive", 403),
        ("accueil", "partage", 403),
        ("autre", "prive", 403),
        (SITE_OWNER_NAME, "prive", 403),
        (SITE_OWNER_NAME, "partage", 403),
        ("depositaire", "prive", 403),
        ("lecteur", "partage", 403),
    ],
)
def test_who_may_not_deposit(vault, http, login, space, status):
    open_vault_as("accueil", "autre", first="Alice", last="Martin")
    mandate(vault, "depositaire", roles.VAULT_DEPOSITOR)
    mandate(vault, "lecteur", roles.VAULT_READER)
    transaction.commit()
    before = len(history.entries(vault))
    response = http(login).post(
        vault_path(vault, space, "@deposit"),
        json={"document_type": "attestation-caf", "file": file_json(pdf_bytes())},
    )
    assert response.status_code == status
    vault = fresh(vault)
    assert not vault[space].objectIds()
    assert len(history.entries(vault)) == before


def test_a_mandated_depositor_deposits_in_the_shared_space(vault, http):
    mandate(vault, "depositaire", roles.VAULT_DEPOSITOR)
    transaction.commit()
    response = http("depositaire").post(
        vault_path(vault, "partage", "@deposit"),
        data={"document_type": "attestation-caf"},
        files={"file": ("attestation.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    entry = history.entries(fresh(vault))[-1]
    assert (entry.action, entry.actor) == ("deposit", "depositaire")


def test_a_form_posted_from_another_site_is_refused(vault, http, site):
    """Foreign pages can post forms with the user's cookie: no Origin check, no deposit."""
    mandate(vault, "certificateur", roles.VAULT_CERTIFIER)
    document = deposit_as("jdupont", vault["partage"])
    transaction.commit()
    before = len(history.entries(vault))
    evil = {"Origin": "https://pirate.example"}
    form = {"document_type": "attestation-caf"}
    files = {"file": ("attestation.pdf", pdf_bytes(), "application/pdf")}
    url = vault_path(vault, "prive", "@deposit")
    session = http("jdupont")
    error = assert_french_error(
        session.post(url, data=form, files=files, headers=evil), 403, "cross_site_request"
    )
    assert "autre site" in error["message_fr"]
    as_text = {**evil, "Content-Type": "text/plain"}
    body = json.dumps({"document_type": "cni", "file": file_json(pdf_bytes())})
    assert session.post(url, data=body, headers=as_text).status_code == 403
    certify = vault_path(vault, "partage", document.getId(), "@certify")
    assert http("certificateur").post(certify, headers=evil).status_code == 403
    vault = fresh(vault)
    assert not vault["prive"].objectIds()
    assert api.content.get_state(vault["partage"][document.getId()]) == "deposited"
    assert len(history.entries(vault)) == before
    own_origin = {"Origin": site.absolute_url().split("/plone")[0]}
    response = session.post(url, data=form, files=files, headers=own_origin)
    assert response.status_code == 201, response.text


# --- @replace ------------------------------------------------------------------


def test_the_owner_replaces_a_paper(vault, http):
    old = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    newer_data = pdf_bytes("2027")
    url = vault_path(vault, "prive", old.getId(), "@replace")
    response = http("jdupont").post(
        url, data={"issued": "2027-01-01"}, files={"file": ("2027.pdf", newer_data)}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["replaces"], body["review_state"]) == (old.UID(), "deposited")
    assert body["sha256"] == hashlib.sha256(newer_data).hexdigest()
    old = fresh(old)
    assert api.content.get_state(old) == "superseded"
    assert old.replaced_by == body["UID"]
    response = http("jdupont").post(url, json={"file": file_json(pdf_bytes())})
    assert_french_error(response, 400, "already_superseded")


def test_a_refused_replacement_keeps_the_old_version(vault, http):
    old = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    response = http("jdupont").post(
        vault_path(vault, "prive", old.getId(), "@replace"),
        json={"file": file_json(b"<script>alert(1)</script>", "x.pdf")},
    )
    assert_french_error(response, 400, "unsupported_type")
    vault = fresh(vault)
    assert vault["prive"].objectIds() == [old.getId()]
    assert api.content.get_state(vault["prive"][old.getId()]) == "deposited"
    assert history.entries(vault)[-1].action == "refused"


@pytest.mark.parametrize("login, status", [(None, 401), ("accueil", 403), (SITE_OWNER_NAME, 403)])
def test_strangers_cannot_replace(vault, http, login, status):
    old = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    response = http(login).post(
        vault_path(vault, "prive", old.getId(), "@replace"),
        json={"file": file_json(pdf_bytes("2027"))},
    )
    assert response.status_code == status
    assert api.content.get_state(fresh(old)) == "deposited"


# --- @certify ------------------------------------------------------------------


def test_a_certifier_certifies_a_paper_of_the_shared_space(vault, http):
    document = deposit_as("jdupont", vault["partage"])
    mandate(vault, "certificateur", roles.VAULT_CERTIFIER)
    transaction.commit()
    response = http("certificateur").post(
        vault_path(vault, "partage", document.getId(), "@certify")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["review_state"] == "certified"
    certification = body["certification"]
    # A certified PDF is stored PAdES-signed: the seal names the deposited and the stored bytes.
    assert (certification["by"], certification["deposited_sha256"]) == (
        "certificateur",
        document.sha256,
    )
    assert certification["sha256"] == fresh(document).sha256
    entry = history.entries(fresh(vault))[-1]
    assert (entry.action, entry.actor) == ("certify", "certificateur")


@pytest.mark.parametrize(
    "login, space, status",
    [
        (None, "partage", 401),
        ("jdupont", "partage", 403),
        (SITE_OWNER_NAME, "partage", 403),
        ("certificateur", "prive", 403),
    ],
)
def test_who_may_not_certify(vault, http, login, space, status):
    document = deposit_as("jdupont", vault[space])
    mandate(vault, "certificateur", roles.VAULT_CERTIFIER)
    transaction.commit()
    response = http(login).post(vault_path(vault, space, document.getId(), "@certify"))
    assert response.status_code == status
    assert api.content.get_state(fresh(document)) == "deposited"


# --- @vault-history ------------------------------------------------------------


def test_the_owner_reads_the_whole_history_and_reading_is_not_traced(vault, http):
    deposit_as("jdupont", vault["prive"])
    transaction.commit()
    url = vault_path(vault, "@vault-history")
    body = http("jdupont").get(url).json()
    assert [item["action"] for item in body["items"]] == ["open", "consent", "deposit"]
    assert (body["intact"], body["scope"], body["items_total"]) == (True, "all", 3)
    assert body["items"][0]["actor"] == "accueil"
    assert http("jdupont").get(url).json()["items_total"] == 3
    assert len(history.entries(fresh(vault))) == 3


def test_a_mandated_agent_sees_only_their_own_actions(vault, http):
    document = deposit_as("jdupont", vault["partage"])
    mandate(vault, "lecteur", roles.VAULT_READER)
    transaction.commit()
    preview = http("lecteur").get(vault_path(vault, "partage", document.getId(), "@preview"))
    assert preview.status_code == 200
    body = http("lecteur").get(vault_path(vault, "@vault-history")).json()
    assert body["scope"] == "own"
    assert [(item["action"], item["actor"]) for item in body["items"]] == [("preview", "lecteur")]
    for export in ("csv", "json"):
        response = http("lecteur").get(vault_path(vault, f"@vault-history?format={export}"))
        assert_french_error(response, 403, "export_owner_only")


def test_the_owner_exports_the_history(vault, http):
    deposit_as("jdupont", vault["prive"])
    transaction.commit()
    response = http("jdupont").get(vault_path(vault, "@vault-history?format=csv"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="historique-{vault.getId()}.csv"'
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    assert [row["action"] for row in rows] == ["open", "consent", "deposit"]

    response = http("jdupont").get(vault_path(vault, "@vault-history?format=json"))
    assert response.headers["Content-Disposition"].startswith("attachment;")
    document = json.loads(response.content)
    assert (document["format"], document["intact"]) == ("ccas.vault.history/1", True)
    assert len(document["entries"]) == 3

    response = http("jdupont").get(vault_path(vault, "@vault-history?format=xls"))
    assert_french_error(response, 400, "bad_format")


@pytest.mark.parametrize(
    "login, status",
    [(None, 401), ("accueil", 403), ("autre", 403), (SITE_OWNER_NAME, 403)],
)
def test_nobody_else_reads_the_history(vault, http, login, status):
    make_user("autre")
    transaction.commit()
    for query in ("", "?format=csv", "?format=json"):
        response = http(login).get(vault_path(vault, "@vault-history" + query))
        assert response.status_code == status
        assert "jdupont" not in response.text


# --- @preview ------------------------------------------------------------------


def png_size(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Cache-Control"] == "private, no-store"
    return Image.open(BytesIO(response.content)).size


def test_the_preview_of_a_pdf_is_a_traced_png(vault, http):
    document = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    size = png_size(http("jdupont").get(vault_path(vault, "prive", document.getId(), "@preview")))
    assert max(size) <= 1000
    assert size[1] > size[0]  # an A4 page, upright
    entry = history.entries(fresh(vault))[-1]
    assert (entry.action, entry.actor, entry.target_uid) == ("preview", "jdupont", document.UID())


def test_the_preview_of_a_photo_is_downscaled(vault, http):
    document = deposit_as(
        "jdupont",
        vault["prive"],
        document_type="cni",
        data=jpeg_bytes((2400, 1800)),
        filename="cni.jpg",
    )
    transaction.commit()
    size = png_size(http("jdupont").get(vault_path(vault, "prive", document.getId(), "@preview")))
    assert size == (1000, 750)


def test_a_text_document_gets_a_card(vault, http):
    document = deposit_as(
        "jdupont", vault["prive"], data=odt_bytes(), filename="lettre.odt", title="Lettre"
    )
    transaction.commit()
    size = png_size(http("jdupont").get(vault_path(vault, "prive", document.getId(), "@preview")))
    assert size == (800, 500)


@pytest.mark.parametrize(
    "login, status",
    [
        (None, 401),
        ("accueil", 403),
        ("telechargeur", 403),
        (SITE_OWNER_NAME, 403),
        ("lecteur", 200),
    ],
)
def test_who_sees_a_preview_of_the_shared_space(vault, http, login, status):
    document = deposit_as("jdupont", vault["partage"])
    mandate(vault, "lecteur", roles.VAULT_READER)
    mandate(vault, "telechargeur", roles.VAULT_DOWNLOADER)
    transaction.commit()
    before = len(history.entries(vault))
    response = http(login).get(vault_path(vault, "partage", document.getId(), "@preview"))
    assert response.status_code == status
    assert len(history.entries(fresh(vault))) == before + (status == 200)


# --- a Manager never reads a vault -------------------------------------------


def test_a_manager_gets_nothing_out_of_a_vault(vault, http):
    document = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    manager = http(SITE_OWNER_NAME)
    doc = vault_path(vault, "prive", document.getId())
    assert manager.get(vault_path(vault, "@vault-history")).status_code == 403
    assert manager.get(f"{doc}/@preview").status_code == 403
    assert manager.get(f"{doc}/@@download/file").status_code in (401, 403)
    response = manager.post(
        vault_path(vault, "prive", "@deposit"),
        json={"document_type": "cni", "file": file_json(pdf_bytes())},
    )
    assert response.status_code == 403
    vault = fresh(vault)
    assert [entry.actor for entry in history.entries(vault)] == ["accueil", "jdupont", "jdupont"]


def test_plones_navigation_services_answer_on_vault_content(vault, http):
    """The catalog's title and description columns of vault content are ``None``, not
    ``Missing.Value`` (decision 0053): plone.restapi's navigation services serialise the
    columns as they are, and ``Missing`` made ``@contextnavigation`` answer 500."""
    with api.env.adopt_user(username="jdupont"):
        paper = deposit_as("jdupont", vault["prive"])
    transaction.commit()
    person = http("jdupont")
    for route in ("@contextnavigation", "@navigation", "@breadcrumbs"):
        response = person.get(vault_path(vault, "prive", paper.getId(), route))
        assert response.status_code in (200, 401, 403, 404), (route, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json"), route
    response = person.get(vault_path(vault, "prive", "@contextnavigation"))
    assert response.status_code in (200, 401, 403, 404), response.text[:300]
