"""The CCAS GED delivers its letters into vaults: never lost, never twice.

REST tests go through HTTP (++api++) against the functional portal; the
functional layer rolls every commit back after each test.
"""

from ccas.vault import roles
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.history import api as history
from ccas.vault.letters import receipts
from ccas.vault.letters.delivery import receive_letter
from plone import api
from plone.app.testing import SITE_OWNER_NAME
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import hashlib
import json
import pytest
import requests
import threading
import transaction


def b64(data):
    return base64.b64encode(data).decode("ascii")


def letter(reference="GED-2026-0001", data=None, person=None, **changes):
    body = {
        "ged_reference": reference,
        "person": person or {"ged_person_id": "GED-42"},
        "document_type": "attestation-domiciliation",
        "title": "Attestation de domiciliation",
        "issued": "2026-11-20",
        "file": {
            "filename": "attestation.pdf",
            "content_type": "application/pdf",
            "data": b64(pdf_bytes("Lettre du CCAS") if data is None else data),
        },
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def letters_of(vault):
    """The letters in the vault's "Courrier du CCAS" folder (made when the vault opened)."""
    folder = vault["partage"].get(CCAS_MAIL_FOLDER_ID)
    return [] if folder is None else folder.objectIds()


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def letters_consenting_vault(login="jdupont", **kw):
    vault = open_vault_as(
        "accueil", login, ged_person_ids=["GED-42"], receive_ccas_letters=True, **kw
    )
    return consent_as_owner(vault)


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    make_user("ged2", global_roles=[roles.GED_CONNECTOR])
    transaction.commit()
    return functional_portal


@pytest.fixture
def vault(site):
    vault = letters_consenting_vault()
    transaction.commit()
    return vault


@pytest.fixture
def http(request_factory):
    def session(login=None):
        if login is None:
            return request_factory()
        if login == SITE_OWNER_NAME:
            return request_factory(role="Manager")
        return request_factory(basic_auth=(login, PASSWORD))

    return session


def mail_folder(vault):
    return fresh(vault)["partage"][CCAS_MAIL_FOLDER_ID]


# --- delivery ------------------------------------------------------------------


def test_a_letter_lands_certified_in_the_ccas_mail_folder(vault, http):
    data = pdf_bytes("Lettre du CCAS")
    response = http("ged").post("@ged-letters", json=letter(data=data))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "delivered"
    assert response.headers["Location"] == body["@id"]
    folder = mail_folder(vault)
    assert folder.portal_type == "MailFolder"
    assert folder.Title() == "Courrier du CCAS"
    (document,) = folder.objectValues()
    assert body["@id"] == document.absolute_url()
    # the SHA-256 of the stored paper (the inspection may rewrite a PDF's metadata)
    assert body["sha256"] == document.sha256 == hashlib.sha256(document.file.data).hexdigest()
    assert document.file.data.startswith(b"%PDF")
    assert document.origin == "ged"
    assert document.document_type == "attestation-domiciliation"
    assert document.issued.isoformat() == "2026-11-20"
    assert document.deposited_by == "ged"
    assert api.content.get_state(document) == "certified"
    assert document.certification["by"] == "ged"
    actions = [(e.action, e.actor) for e in history.entries(fresh(vault))]
    assert ("deposit", "ged") in actions
    assert any(action == "certify" for action, _actor in actions)


def test_the_owner_and_a_consult_mandate_see_the_letter(vault, http, frozen):
    assert http("ged").post("@ged-letters", json=letter()).status_code == 201
    current = fresh(vault)
    make_agent("travailleur")
    active_mandate(current, scopes=("consult",))
    transaction.commit()
    (document,) = mail_folder(vault).objectValues()
    for login in ("jdupont", "travailleur"):
        with api.env.adopt_user(username=login):
            assert api.user.has_permission("View", obj=document), login
            assert api.user.has_permission("ccas.vault: View preview", obj=document), login
    with api.env.adopt_user(username="travailleur"):
        assert not api.user.has_permission("ccas.vault: Download original", obj=document)
    with api.env.adopt_user(username="jdupont"):
        assert api.user.has_permission("ccas.vault: Download original", obj=document)


def test_the_same_letter_again_is_answered_the_same_and_stored_once(vault, http):
    first = http("ged").post("@ged-letters", json=letter())
    again = http("ged").post("@ged-letters", json=letter())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert len(mail_folder(vault).objectIds()) == 1


def test_the_same_reference_with_other_bytes_is_a_conflict(vault, http):
    assert http("ged").post("@ged-letters", json=letter()).status_code == 201
    response = http("ged").post("@ged-letters", json=letter(data=pdf_bytes("Autre")))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "reference_conflict"
    assert error["message_fr"] and error["message"] != error["message_fr"]
    assert len(mail_folder(vault).objectIds()) == 1


def test_a_letter_by_vault_id(vault, http):
    response = http("ged").post("@ged-letters", json=letter(person={"vault": vault.getId()}))
    assert response.status_code == 201, response.text


def test_multipart_upload(vault, http):
    data = pdf_bytes("Grand courrier")
    fields = letter()
    del fields["file"]
    fields["person"] = json.dumps(fields["person"])
    response = http("ged").post(
        "@ged-letters",
        data=fields,
        files={"file": ("grand.pdf", data, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    (document,) = mail_folder(vault).objectValues()
    assert response.json()["sha256"] == document.sha256
    assert document.file.filename.endswith(".pdf")


def test_multipart_with_person_fields(vault, http):
    fields = letter()
    del fields["file"], fields["person"]
    fields["person_vault"] = vault.getId()
    response = http("ged").post(
        "@ged-letters",
        data=fields,
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 201, response.text


# --- parking -------------------------------------------------------------------


@pytest.mark.parametrize(
    "setup, reason",
    [
        ("unknown", "unknown_person"),
        ("awaiting", "vault_not_open"),
        ("no_letters", "no_letter_consent"),
    ],
)
def test_undeliverable_letters_are_parked(site, http, setup, reason):
    if setup == "awaiting":
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"])
    elif setup == "no_letters":
        consent_as_owner(open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"]))
    transaction.commit()
    response = http("ged").post("@ged-letters", json=letter())
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["reason"]) == ("parked", reason)
    assert body["reason_fr"]
    again = http("ged").post("@ged-letters", json=letter())
    assert (again.status_code, again.json()) == (202, body)


# --- malformed letters ---------------------------------------------------------


def test_every_field_is_checked_in_french_and_english(vault, http):
    body = {
        "ged_reference": "bad ref/with slash",
        "person": {"vault": "c-1", "ged_person_id": "GED-42"},
        "document_type": "nope",
        "title": "",
        "issued": "20/11/2026",
        "valid_until": "2026-13-01",
        "file": {"filename": "a.pdf", "data": "%%%not base64"},
    }
    response = http("ged").post("@ged-letters", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_fields"
    assert set(error["fields"]) == {
        "ged_reference",
        "person",
        "document_type",
        "title",
        "issued",
        "valid_until",
        "file",
    }
    for messages in error["fields"].values():
        assert messages["en"] and messages["fr"] and messages["en"] != messages["fr"]
    transaction.begin()
    assert receipts.all_receipts() == []


@pytest.mark.parametrize(
    "data, code",
    [
        (b"MZ\x90\x00 an executable", "unsupported_type"),
        (b"%PDF-1.4\n garbage without structure", None),
        (b"", "empty"),
    ],
)
def test_hostile_or_broken_files_are_refused_and_nothing_is_stored(vault, http, data, code):
    response = http("ged").post("@ged-letters", json=letter(data=data))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    if code:
        assert error["type"] in (code, "invalid_fields")
    assert "file" in error["fields"]
    assert response.json()["ged_reference"] == "GED-2026-0001"
    assert letters_of(fresh(vault)) == []
    assert receipts.all_receipts() == []


def test_a_file_over_the_size_limit_is_refused(vault, http):
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 1)
    transaction.commit()
    data = pdf_bytes() + b"\n%" + b"x" * 1024 * 1024
    response = http("ged").post("@ged-letters", json=letter(data=data))
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    assert letters_of(fresh(vault)) == []


def test_health_documents_are_refused(vault, http):
    response = http("ged").post("@ged-letters", json=letter(document_type="document-sante"))
    assert response.status_code == 400
    assert "document_type" in response.json()["error"]["fields"]


def test_invalid_json_is_a_400(vault, http):
    response = http("ged").post(
        "@ged-letters", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


# --- status --------------------------------------------------------------------


def test_the_status_of_a_delivered_letter(vault, http):
    http("ged").post("@ged-letters", json=letter())
    response = http("ged").get("@ged-letters/GED-2026-0001")
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["status"] == "delivered"
    assert status["delivered_at"] and status["received_at"]
    assert "data" not in json.dumps(status) and "file" not in status
    assert "title" not in status


def test_the_status_of_an_unknown_letter(vault, http):
    response = http("ged").get("@ged-letters/NOPE-1")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "unknown_letter"


# --- who may --------------------------------------------------------------------


@pytest.mark.parametrize("login, status", [(None, 401), ("accueil", 403), ("jdupont", 403)])
def test_only_ged_connectors_deliver(vault, http, login, status):
    response = http(login).post("@ged-letters", json=letter())
    assert response.status_code == status
    assert letters_of(fresh(vault)) == []
    assert receipts.all_receipts() == []


def test_a_manager_may_act_as_a_connector(vault, http):
    response = http(SITE_OWNER_NAME).post("@ged-letters", json=letter())
    assert response.status_code == 201, response.text


def test_the_connector_never_reads_what_it_delivered(vault, http):
    body = http("ged").post("@ged-letters", json=letter()).json()
    document_url = body["@id"]
    session = http("ged")
    portal_url = api.portal.get().absolute_url()
    relative = document_url[len(portal_url) + 1 :]
    vault_rel = "coffres/" + vault.getId()
    for path in (
        relative,
        f"{relative}/@@download/file",
        f"{relative}/@@download",
        f"{relative}/@@display-file/file",
        f"{relative}/@@preview",
        vault_rel,
        f"{vault_rel}/partage",
        f"{vault_rel}/partage/{CCAS_MAIL_FOLDER_ID}",
        f"{vault_rel}/@vault-history",
        "coffres",
        "coffres/@vaults",
    ):
        response = session.get(path)
        assert response.status_code in (401, 403, 404), (path, response.status_code)
        assert b"%PDF" not in response.content, path
    search = session.get("@search", params={"portal_type": "VaultDocument"})
    assert search.status_code == 200
    assert search.json()["items_total"] == 0
    search = session.get("@search", params={"SearchableText": "Attestation"})
    assert all("coffres" not in item["@id"] for item in search.json()["items"])
    # the browser views too (no ++api++)
    for path in (relative, f"{relative}/@@download/file", vault_rel):
        response = session.get(f"{portal_url}/{path}")
        assert response.status_code in (401, 403, 404), path
        assert b"%PDF" not in response.content


def test_a_connector_cannot_see_another_connectors_letter(vault, http):
    assert http("ged").post("@ged-letters", json=letter()).status_code == 201
    assert http("ged").get("@ged-letters/GED-2026-0001").status_code == 200
    response = http("ged2").get("@ged-letters/GED-2026-0001")
    unknown = http("ged2").get("@ged-letters/NEVER-SENT")
    assert response.status_code == unknown.status_code == 404
    assert response.json() == unknown.json()  # nothing tells that the letter exists
    for login, status in ((None, 401), ("accueil", 403), ("jdupont", 403)):
        assert http(login).get("@ged-letters/GED-2026-0001").status_code == status


# --- direct API ----------------------------------------------------------------


def test_receive_letter_is_idempotent_in_one_transaction(portal):
    make_agent("accueil")
    vault = letters_consenting_vault()
    first = receive_letter(letter(), "ged")
    second = receive_letter(letter(), "ged")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.body == second.body
    assert len(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()) == 1


def test_a_missing_mail_folder_is_created_again(portal):
    make_agent("accueil")
    vault = letters_consenting_vault()
    assert receive_letter(letter("R-1"), "ged").status_code == 201
    with api.env.adopt_user(username="jdupont"):
        api.content.delete(vault["partage"][CCAS_MAIL_FOLDER_ID], check_linkintegrity=False)
    assert receive_letter(letter("R-2", data=pdf_bytes("2")), "ged").status_code == 201
    assert len(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()) == 1


# --- concurrency ----------------------------------------------------------------


def post_at_once(url, bodies):
    """POST every body to ``url`` as the GED connector, each from its own thread, all
    released together; the answers in the order of ``bodies``."""
    start = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)

    def send(index, body):
        with requests.Session() as session:
            session.auth = ("ged", PASSWORD)
            session.headers["Accept"] = "application/json"
            start.wait()
            answers[index] = session.post(url, json=body, timeout=120)

    threads = [threading.Thread(target=send, args=item) for item in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_concurrent_requests_deliver_a_letter_once(vault):
    """The same letter sent by several clients at once: one 201, the others 200, one paper."""
    answers = post_at_once(f"{api.portal.get().absolute_url()}/@ged-letters", [letter()] * 4)
    assert sorted(answer.status_code for answer in answers) == [200, 200, 200, 201]
    assert len({json.dumps(answer.json(), sort_keys=True) for answer in answers}) == 1
    assert len(mail_folder(vault).objectIds()) == 1


def test_two_transactions_inserting_one_reference_conflict(vault, http):
    """What makes the above hold across ZEO clients: the second insert cannot commit."""
    from ccas.vault.letters.receipts import RECEIPTS
    from ZODB.POSException import ConflictError

    assert http("ged").post("@ged-letters", json=letter("FIRST")).status_code == 201
    transaction.begin()
    db = api.portal.get()._p_jar.db()
    managers = [transaction.TransactionManager() for _ in range(2)]
    connections = [db.open(transaction_manager=tm) for tm in managers]
    try:
        stores = [
            getattr(c.root()["Application"]["plone"]["coffres"], RECEIPTS) for c in connections
        ]
        for tm, store in zip(managers, stores, strict=True):
            tm.begin()
            assert store.insert("SAME-REF", receipts.Receipt("SAME-REF", "ged", "a", "a"))
        managers[0].commit()
        with pytest.raises(ConflictError):
            managers[1].commit()
        managers[1].abort()
    finally:
        for connection in connections:
            connection.close()


def test_a_huge_multipart_file_is_refused(vault, http):
    api.portal.set_registry_record("ccas.vault.settings.max_upload_size_mb", 1)
    transaction.commit()
    fields = letter()
    del fields["file"]
    fields["person"] = json.dumps(fields["person"])
    data = pdf_bytes() + b"\n%" + b"x" * 1024 * 1024
    response = http("ged").post(
        "@ged-letters", data=fields, files={"file": ("big.pdf", data, "application/pdf")}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "file" in error["fields"]
    assert "1 Mo" in error["fields"]["file"]["fr"]
    assert letters_of(fresh(vault)) == []


def test_the_mail_folder_is_made_when_a_vault_accepting_letters_opens(portal):
    make_agent("accueil")
    accepting = open_vault_as("accueil", "jdupont", receive_ccas_letters=True)
    refusing = open_vault_as("accueil", "mdurand", first="Marie", last="Durand")
    assert accepting["partage"][CCAS_MAIL_FOLDER_ID].portal_type == "MailFolder"
    assert CCAS_MAIL_FOLDER_ID not in refusing["partage"]
