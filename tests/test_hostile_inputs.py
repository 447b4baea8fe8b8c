"""Hostile inputs sent over HTTP to the functional portal (issue 19, items 9-11; decision 0038).

Each attack is answered with a 4xx in the documented error shape
(``{"error": {"type", "message", "message_fr"}}``), without any traceback text, and
stores nothing: the space's listing does not change, and the history gains at most the
``refused`` line a refused file always leaves.

* files that must be refused: a PDF with an XFA form (scripts in its XML), deposited by
  the person and delivered by the GED; a JPEG or PNG cut short, *inside Zope*, where
  plone.scale has turned Pillow's ``LOAD_TRUNCATED_IMAGES`` on for the whole process;
* free text too long (a 30 MB title) or not text (a lone surrogate, NUL);
* a JSON body nested 50,000 levels deep, on any URL, before authentication.
"""

from ccas.vault import input_limits
from ccas.vault import roles
from ccas.vault.content.spaces import CCAS_MAIL_FOLDER_ID
from ccas.vault.history import api as history
from ccas.vault.letters import receipts
from io import BytesIO
from PIL import Image
from PIL import ImageFile
from plone import api
from public_skin import form_token
from public_skin import skin
from public_skin import skin_session
from pypdf import PdfWriter
from pypdf.generic import ArrayObject
from pypdf.generic import DecodedStreamObject
from pypdf.generic import DictionaryObject
from pypdf.generic import NameObject
from pypdf.generic import TextStringObject
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
import base64
import json
import pytest
import transaction


XFA_TEMPLATE = (
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">'
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">'
    b'<subform name="form1"><event activity="initialize">'
    b'<script contentType="application/x-javascript">app.launchURL("https://evil.example");'
    b"</script></event></subform></template></xdp:xdp>"
)
LEAKS = ("Traceback", "RecursionError", "UnicodeEncodeError", 'File "/')


def xfa_pdf(template=XFA_TEMPLATE):
    """A one-page PDF whose ``/AcroForm`` holds an XFA form with a ``<script>``."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    stream = DecodedStreamObject()
    stream.set_data(template)
    form = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): ArrayObject(
                [TextStringObject("template"), writer._add_object(stream)]
            ),
        }
    )
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(form)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def image(kind, **options):
    out = BytesIO()
    Image.effect_noise((320, 240), 64).convert("RGB").save(out, kind, **options)
    return out.getvalue()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def file_json(data, filename="attestation.pdf", content_type="application/pdf"):
    return {"filename": filename, "content_type": content_type, "data": b64(data)}


def nested(depth):
    return "[" * depth + "]" * depth


def fresh(obj):
    transaction.begin()
    return api.portal.get().unrestrictedTraverse("/".join(obj.getPhysicalPath()))


def assert_refused(response, status, code):
    """The documented error shape, a French message, and no traceback."""
    assert response.status_code == status, response.text[:2000]
    for leak in LEAKS:
        assert leak not in response.text
    error = response.json()["error"]
    assert error["type"] == code, error
    assert error["message"] and error["message_fr"]
    assert error["message"] != error["message_fr"]
    return error


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    transaction.commit()
    return functional_portal


@pytest.fixture
def vault(site):
    vault = open_vault_as(
        "accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True
    )
    vault = consent_as_owner(vault)
    transaction.commit()
    return vault


@pytest.fixture
def http(request_factory):
    def session(login=None, api=True):
        if login is None:
            return request_factory(api=api)
        return request_factory(basic_auth=(login, PASSWORD), api=api)

    return session


class Snapshot:
    """What a vault holds and how long its history is, to compare after an attack."""

    def __init__(self, vault):
        self.vault = vault
        vault = fresh(vault)
        self.papers = self.listing(vault)
        self.history = len(history.entries(vault))

    @staticmethod
    def listing(vault):
        return (
            sorted(vault["prive"].objectIds()),
            sorted(vault["partage"].objectIds()),
            sorted(vault["partage"][CCAS_MAIL_FOLDER_ID].objectIds()),
        )

    def assert_unchanged(self, refused_line=False):
        vault = fresh(self.vault)
        assert self.listing(vault) == self.papers
        entries = history.entries(vault)
        assert len(entries) == self.history + (1 if refused_line else 0)
        if refused_line:
            assert entries[-1].action == "refused"
        assert history.verify(vault) is None


def deposit_path(vault, space="prive"):
    return f"coffres/{vault.getId()}/{space}/@deposit"


# --- item 9a: XFA ---------------------------------------------------------------------------


def test_the_person_cannot_deposit_a_pdf_with_an_xfa_script(vault, http):
    before = Snapshot(vault)
    response = http("jdupont").post(
        deposit_path(vault),
        json={"document_type": "attestation-caf", "file": file_json(xfa_pdf())},
    )
    error = assert_refused(response, 400, "pdf_active_content")
    assert "programme" in error["message_fr"]
    before.assert_unchanged(refused_line=True)


def test_the_ged_cannot_deliver_a_letter_with_an_xfa_script(vault, http):
    before = Snapshot(vault)
    letter = {
        "ged_reference": "GED-2026-XFA",
        "person": {"ged_person_id": "GED-42"},
        "document_type": "attestation-domiciliation",
        "title": "Attestation",
        "issued": "2026-11-20",
        "file": file_json(xfa_pdf()),
    }
    response = http("ged").post("@ged-letters", json=letter)
    assert response.status_code == 400, response.text
    assert "file" in response.json()["error"]["fields"]
    assert "Traceback" not in response.text
    assert receipts.all_receipts() == []
    before.assert_unchanged()
    batch = http("ged").post("@ged-letters/batch", json={"letters": [letter]})
    assert batch.status_code in (200, 207, 400), batch.text
    assert "Traceback" not in batch.text
    assert receipts.all_receipts() == []
    before.assert_unchanged()


# --- item 9b: truncated images, inside Zope ---------------------------------------------------


@pytest.mark.parametrize(
    "kind, options, cut",
    [
        ("JPEG", {}, 0.5),
        ("JPEG", {}, 0.98),
        ("JPEG", {"progressive": True}, 0.7),
        ("PNG", {}, 0.5),
        ("PNG", {}, 0.999),
    ],
)
def test_a_truncated_photo_is_refused_even_with_plone_scale_loaded(vault, http, kind, options, cut):
    import plone.scale.scale  # noqa: F401 - what every Zope process imports

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the process-wide switch is on
    whole = image(kind, **options)
    data = whole[: int(len(whole) * cut)]
    before = Snapshot(vault)
    response = http("jdupont").post(
        deposit_path(vault),
        data={"document_type": "cni"},
        files={"file": (f"photo.{kind.lower()}", data, f"image/{kind.lower()}")},
    )
    assert_refused(response, 400, "malformed_image")
    before.assert_unchanged(refused_line=True)
    # the whole photo is accepted: the refusal is about the cut
    ok = http("jdupont").post(
        deposit_path(vault),
        data={"document_type": "cni"},
        files={"file": (f"photo.{kind.lower()}", whole, f"image/{kind.lower()}")},
    )
    assert ok.status_code == 201, ok.text


# --- item 9c and 11: free text ------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, needle",
    [
        ("a" * (30 * 1024 * 1024), "trop long"),
        ("a" * 301, "300 caractères"),
        ("x\ud800y", "interdits"),
        ("x\udfffy", "interdits"),
        ("nul\x00byte", "interdits"),
        ("bell\x07", "interdits"),
    ],
    ids=["30MB", "301", "lone-high-surrogate", "lone-low-surrogate", "nul", "control"],
)
def test_a_title_that_is_too_long_or_not_text_is_a_400(vault, http, title, needle):
    before = Snapshot(vault)
    response = http("jdupont").post(
        deposit_path(vault),
        json={"document_type": "attestation-caf", "title": title, "file": file_json(pdf_bytes())},
    )
    error = assert_refused(response, 400, "invalid_fields")
    assert needle in error["fields"]["title"]["fr"]
    before.assert_unchanged()


def test_a_title_of_300_characters_with_accents_and_emoji_is_kept(vault, http):
    title = ("Relevé été 😀 \t" * 30)[:300]
    response = http("jdupont").post(
        deposit_path(vault),
        json={"document_type": "attestation-caf", "title": title, "file": file_json(pdf_bytes())},
    )
    assert response.status_code == 201, response.text
    assert response.json()["title"] == title.strip()


def test_a_multipart_title_with_nul_is_a_400(vault, http):
    before = Snapshot(vault)
    response = http("jdupont").post(
        deposit_path(vault),
        data={"document_type": "attestation-caf", "title": "a\x00b"},
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert_refused(response, 400, "invalid_fields")
    before.assert_unchanged()


def test_a_lone_surrogate_in_a_refused_file_name_is_answered_not_a_500(vault, http):
    before = Snapshot(vault)
    response = http("jdupont").post(
        deposit_path(vault),
        json={"document_type": "attestation-caf", "file": file_json(b"MZ\x90", "x\ud800y.exe")},
    )
    assert_refused(response, 400, "unsupported_type")
    before.assert_unchanged(refused_line=True)
    line = history.entries(fresh(vault))[-1]
    assert line.details["filename"] == "x\ufffdy.exe"


def test_the_ged_letter_title_with_a_lone_surrogate_is_a_400(vault, http):
    before = Snapshot(vault)
    response = http("ged").post(
        "@ged-letters",
        json={
            "ged_reference": "GED-2026-SUR",
            "person": {"ged_person_id": "GED-42"},
            "document_type": "attestation-domiciliation",
            "title": "x\ud800y",
            "file": file_json(pdf_bytes()),
        },
    )
    assert response.status_code == 400, response.text
    assert "title" in response.json()["error"]["fields"]
    assert receipts.all_receipts() == []
    before.assert_unchanged()


@pytest.mark.parametrize(
    "title, message",
    [
        ("a" * 100_000, "Le nom est trop long."),
        ("nul\x00byte", "Le nom contient des caractères interdits."),
    ],
    ids=["100k", "nul"],
)
def test_the_skin_add_form_refuses_a_name_too_long_or_not_text(
    vault, functional_portal, title, message
):
    session = skin_session(functional_portal, "jdupont")
    page = session.get(skin(functional_portal, "ajouter"), timeout=60)
    token = form_token(page.text)
    before = Snapshot(vault)
    answer = session.post(
        skin(functional_portal, "ajouter"),
        data={
            "form.submitted": "1",
            "_authenticator": token,
            "document_type": "rib",
            "title": title,
        },
        files={"file": ("rib.pdf", pdf_bytes(), "application/pdf")},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 400, answer.text[:500]
    assert 'id="title-error"' in answer.text and message in answer.text
    assert len(answer.text) < 90_000  # the 100,000 characters are not sent back
    assert "Traceback" not in answer.text
    before.assert_unchanged()


# --- item 10: JSON nested 50,000 levels ----------------------------------------------------------


DEEP = nested(50_000)


@pytest.mark.parametrize(
    "who, api_path, path, content_type",
    [
        (None, True, "@login", "application/json"),
        (None, True, "", "application/json"),
        (None, False, "", "application/json"),
        (None, False, "nothing-here/@@nope", "application/json"),
        (None, True, "@ged-letters", "application/json"),
        ("ged", True, "@ged-letters/batch", "application/json"),
        ("jdupont", True, "{deposit}", "application/json"),
        ("jdupont", True, "{deposit}", "text/plain"),
        ("jdupont", True, "{deposit}", "application/json; charset=utf-8"),
    ],
)
def test_a_body_nested_50000_levels_is_a_400_before_anything(
    vault, http, who, api_path, path, content_type
):
    before = Snapshot(vault)
    session = http(who, api=api_path)
    url = path.format(deposit=deposit_path(vault))
    for body in (DEEP, '{"a":' * 50_000 + "1" + "}" * 50_000):
        response = session.post(url, data=body, headers={"Content-Type": content_type})
        assert_refused(response, 400, "json_too_deep")
    before.assert_unchanged()


def test_the_deep_part_after_the_first_megabyte_is_found_too(vault, http):
    """The guard counts brackets chunk by chunk (``input_limits.CHUNK``): nesting placed
    after a long harmless start is still refused, and nothing is stored."""
    before = Snapshot(vault)
    padding = "x" * (input_limits.CHUNK + 1000)
    body = '{"title": "' + padding + '", "extra": ' + DEEP + "}"
    response = http("jdupont").post(
        deposit_path(vault), data=body, headers={"Content-Type": "application/json"}
    )
    assert_refused(response, 400, "json_too_deep")
    before.assert_unchanged()


def test_a_deep_body_on_a_get_is_not_read(vault, http):
    response = http("jdupont").get(
        f"coffres/{vault.getId()}/@vault-history",
        data=DEEP,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text[:2000]


def test_a_deep_body_is_refused_at_the_zope_root_too(site, request_factory):
    root = site.aq_parent.absolute_url()
    session = request_factory()
    response = session.post(
        root + "/", data=DEEP, headers={"Content-Type": "application/json", "Accept": "*/*"}
    )
    assert_refused(response, 400, "json_too_deep")


def test_brackets_inside_strings_do_not_count_and_normal_depth_passes(vault, http):
    title = "[" * 5000  # too long for a title, but a string: the body is not deep
    response = http("jdupont").post(
        deposit_path(vault),
        data=json.dumps(
            {
                "document_type": "attestation-caf",
                "title": title,
                "extra": json.loads(nested(60)),
                "file": file_json(pdf_bytes()),
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    error = assert_refused(response, 400, "invalid_fields")
    assert "title" in error["fields"]
    ok = http("jdupont").post(
        deposit_path(vault),
        json={
            "document_type": "attestation-caf",
            "extra": json.loads(nested(60)),
            "file": file_json(pdf_bytes()),
        },
    )
    assert ok.status_code == 201, ok.text


def test_a_deep_json_field_of_a_multipart_ged_letter_is_a_400(vault, http):
    response = http("ged").post(
        "@ged-letters",
        data={
            "ged_reference": "GED-2026-DEEP",
            "person": '{"a":' * 50_000 + "1" + "}" * 50_000,
            "document_type": "attestation-domiciliation",
            "title": "Attestation",
        },
        files={"file": ("a.pdf", pdf_bytes(), "application/pdf")},
    )
    assert response.status_code == 400, response.text
    assert "person" in response.json()["error"]["fields"]
    assert "Traceback" not in response.text
