"""The OpenAPI document describes every REST endpoint of the add-on, truthfully.

* the document is valid OpenAPI (``openapi_spec_validator``);
* every ``plone:service`` the add-on registers (read from the component
  registry, so a service added anywhere under ``ccas.vault`` counts) is
  documented with its method, name and context interface, and nothing
  documented is missing from the registry;
* ``@vault-openapi`` serves it, to anyone;
* real answers of a few endpoints (success and errors) validate against the
  documented schemas (``openapi_schema_validator``).
"""

from ccas.vault import roles
from ccas.vault.services.openapi.openapi import DOCUMENT
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from plone.app.testing import SITE_OWNER_NAME
from referencing import Registry
from referencing import Resource
from referencing.jsonschema import DRAFT202012
from vaults import consent_as_owner
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
from vaults import pdf_bytes
from zope.component import getGlobalSiteManager
from zope.dottedname.resolve import resolve
import base64
import pytest
import transaction
import yaml


METHODS = ("get", "post", "put", "patch", "delete")
SPEC_URI = "urn:ccas-vault:openapi"


@pytest.fixture(scope="module")
def spec():
    with DOCUMENT.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def registered_services():
    """``{(METHOD, name, context interface)}`` of every plone.rest service of ccas.vault."""
    found = set()
    for registration in getGlobalSiteManager().registeredAdapters():
        factory = registration.factory
        method = getattr(factory, "method", None)
        if not method or not isinstance(factory, type) or len(registration.required) != 2:
            continue
        own = [base for base in factory.__mro__ if base.__module__.startswith("ccas.vault.")]
        if not own:
            continue
        name = registration.name.rsplit("_", 1)[-1]  # "POST_application_json_@vaults"
        assert name.startswith("@"), registration.name
        found.add((method, name, registration.required[0]))
    return found


def documented_services(spec):
    found = set()
    for path, method, operation in operations(spec):
        service = operation.get("x-plone-service")
        assert service, f"{method.upper()} {path}: no x-plone-service"
        found.add((method.upper(), service["name"], resolve(service["for"])))
    return found


def _label(services):
    return sorted(f"{m} {n} on {i.__identifier__}" for m, n, i in services)


# --- the document ----------------------------------------------------------------


def test_the_document_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_operation_says_who_may_call_it_and_answers_errors_in_one_shape(spec):
    for path, method, operation in operations(spec):
        assert operation.get("description"), f"{method} {path}"
        assert operation.get("operationId"), f"{method} {path}"
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                _pointer, resolved = _follow(spec, "", response)
                schema = resolved["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, f"{method} {path} {status}"


def test_every_registered_service_is_documented(integration, spec):
    registered = registered_services()
    assert len(registered) >= 30  # the registry was really read
    documented = documented_services(spec)
    missing = registered - documented
    assert not missing, "services without documentation:\n" + "\n".join(_label(missing))
    stale = documented - registered
    assert not stale, "documented but not registered:\n" + "\n".join(_label(stale))


def test_an_undocumented_service_would_be_caught(integration, spec):
    """A service registered like ``plone:service`` but missing from the document is reported."""
    from ccas.vault.content.vault import IVault
    from zope.interface import Interface
    from zope.publisher.interfaces.browser import IDefaultBrowserLayer

    class Undocumented:
        __module__ = "ccas.vault.services.undocumented"
        method = "GET"

    registry = getGlobalSiteManager()
    name = "GET_application_json_@undocumented"
    registry.registerAdapter(Undocumented, (IVault, IDefaultBrowserLayer), Interface, name)
    try:
        missing = registered_services() - documented_services(spec)
    finally:
        registry.unregisterAdapter(Undocumented, (IVault, IDefaultBrowserLayer), Interface, name)
    assert missing == {("GET", "@undocumented", IVault)}


# --- served -------------------------------------------------------------------------


@pytest.fixture
def http(request_factory):
    def session(login=None):
        if login is None:
            return request_factory()
        if login == SITE_OWNER_NAME:
            return request_factory(role="Manager")
        return request_factory(basic_auth=(login, PASSWORD))

    return session


def test_anyone_reads_the_document_as_json(functional_portal, http, spec):
    response = http().get("@vault-openapi")
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    served = response.json()
    assert served["servers"] == [
        {"url": functional_portal.absolute_url(), "description": "This Plone site."}
    ]
    assert {key: value for key, value in served.items() if key != "servers"} == {
        key: value for key, value in spec.items() if key != "servers"
    }


# --- real answers validate against the documented schemas ---------------------------


def _escape(token):
    return token.replace("~", "~0").replace("/", "~1")


def _follow(spec, pointer, node):
    while "$ref" in node:
        pointer = node["$ref"].lstrip("#")
        node = spec
        for token in pointer.strip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
    return pointer, node


def check(spec, path, method, response, media="application/json"):
    """Validate ``response`` (status and JSON body) against the operation's document."""
    pointer = f"/paths/{_escape(path)}/{method}/responses/{response.status_code}"
    documented = spec["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (
        f"{method.upper()} {path} answered an undocumented {response.status_code}: {response.text}"
    )
    pointer, node = _follow(spec, pointer, documented[str(response.status_code)])
    assert media in node["content"], f"{pointer}: no {media}"
    schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
    registry = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    validator = OAS31Validator({"$ref": f"{SPEC_URI}#{schema_pointer}"}, registry=registry)
    errors = sorted(validator.iter_errors(response.json()), key=str)
    assert not errors, f"{method.upper()} {path} {response.status_code}: " + "\n".join(
        str(error) for error in errors[:3]
    )


def test_the_validation_can_fail(spec):
    """A body that breaks the documented schema is caught by :func:`check`."""

    class Fake:
        status_code = 201
        text = ""

        def json(self):
            return {"@id": "x", "id": "c-1", "review_state": "open"}  # not awaiting_consent

    with pytest.raises(AssertionError):
        check(spec, "/coffres/@vaults", "post", Fake())
    Fake.status_code = 418
    with pytest.raises(AssertionError, match="undocumented 418"):
        check(spec, "/coffres/@vaults", "post", Fake())


@pytest.fixture
def site(functional_portal):
    make_agent("accueil")
    make_user("ged", global_roles=[roles.GED_CONNECTOR])
    transaction.commit()
    return functional_portal


def opening(**changes):
    body = {
        "first_name": "Jean",
        "last_name": "Dupont",
        "birth_date": "1980-05-17",
        "login": "jdupont",
        "password": PASSWORD,
        "receive_ccas_letters": True,
        "ged_person_ids": ["GED-42"],
    }
    body.update(changes)
    return body


def test_vault_answers_match_the_document(site, http, spec):
    agent = http("accueil")
    check(spec, "/coffres/@vaults", "post", agent.post("coffres/@vaults", json=opening()))
    check(spec, "/coffres/@vaults", "post", agent.post("coffres/@vaults", json={"login": 3}))
    check(spec, "/coffres/@vaults", "post", http().post("coffres/@vaults", json=opening()))
    found = agent.get("coffres/@vaults", params={"last_name": "Dupont"})
    check(spec, "/coffres/@vaults", "get", found)
    assert found.json()["items_total"] == 1
    check(spec, "/coffres/@my-vaults", "get", agent.get("coffres/@my-vaults"))
    verify = http().get("@vault-verify", params={"sha256": "0" * 64})
    check(spec, "/@vault-verify", "get", verify)
    check(spec, "/@vault-verify", "get", http().get("@vault-verify", params={"sha256": "x"}))


def _letter(reference, person):
    data = base64.b64encode(pdf_bytes(f"Courrier {reference}")).decode("ascii")
    return {
        "ged_reference": reference,
        "person": person,
        "document_type": "attestation-domiciliation",
        "title": "Attestation de domiciliation",
        "issued": "2026-11-20",
        "file": {"filename": "attestation.pdf", "content_type": "application/pdf", "data": data},
    }


def test_ged_letter_answers_match_the_document(site, http, spec):
    vault = consent_as_owner(
        open_vault_as("accueil", "jdupont", ged_person_ids=["GED-42"], receive_ccas_letters=True)
    )
    transaction.commit()
    ged = http("ged")
    one = "/@ged-letters"
    delivered = ged.post("@ged-letters", json=_letter("REF-1", {"vault": vault.getId()}))
    assert delivered.status_code == 201, delivered.text
    check(spec, one, "post", delivered)
    check(
        spec, one, "post", ged.post("@ged-letters", json=_letter("REF-1", {"vault": vault.getId()}))
    )
    parked = ged.post("@ged-letters", json=_letter("REF-2", {"ged_person_id": "GED-404"}))
    assert parked.status_code == 202, parked.text
    check(spec, one, "post", parked)
    check(spec, one, "post", ged.post("@ged-letters", json={"ged_reference": "REF-3"}))
    check(spec, one, "post", http("accueil").post("@ged-letters", json=_letter("REF-4", {})))
    batch = ged.post(
        "@ged-letters/batch",
        json={
            "letters": [
                _letter("REF-1", {"vault": vault.getId()}),
                _letter("REF-5", {"ged_person_id": "GED-42"}),
                {"ged_reference": "REF-6"},
            ]
        },
    )
    assert batch.status_code == 200, batch.text
    assert [item["status"] for item in batch.json()["results"]] == [200, 201, 400]
    check(spec, "/@ged-letters/batch", "post", batch)
    status = "/@ged-letters/{ged_reference}"
    check(spec, status, "get", ged.get("@ged-letters/REF-2"))
    check(spec, status, "get", ged.get("@ged-letters/REF-404"))
    parked_list = http("accueil").get("@parked-letters")
    check(spec, "/@parked-letters", "get", parked_list)
    assert [item["ged_reference"] for item in parked_list.json()["items"]] == ["REF-2"]
