"""Share links (ccas.vault.sharing.links and @share-links): durations, codes, revocation, who."""

from AccessControl import Unauthorized
from ccas.vault import clock
from ccas.vault.api import closing
from ccas.vault.api.errors import VaultError
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from ccas.vault.sharing import links
from ccas.vault.workspace import forget_cached_local_roles
from datetime import datetime
from plone import api
from vaults import acting_as
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
from vaults import PASSWORD
import json
import logging
import pytest
import requests
import transaction


@pytest.fixture
def vault(portal, frozen):
    make_agent("accueil")
    make_agent("partageur")
    make_agent("lecteur")
    make_agent("agent")
    make_user("manager", ["Manager"])
    make_user("siteadmin", ["Site Administrator"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    deposit_as("jdupont", vault["prive"], title="Carte d'identité", document_type="cni")
    active_mandate(vault, agents=("partageur",), scopes=("share",))
    active_mandate(vault, agents=("lecteur",), scopes=("consult", "extract"))
    return vault


def shared(vault):
    return vault["partage"].objectValues()[0]


def private(vault):
    return vault["prive"].objectValues()[0]


def share(vault, login="jdupont", documents=None, duration="7d", with_code=False, **kw):
    forget_cached_local_roles(vault.REQUEST)
    documents = [shared(vault)] if documents is None else documents
    with acting_as(login):
        return links.create_link(
            vault, documents, kw.get("recipient", "CAF de Démoville"), duration, with_code
        )


def entries(vault, action):
    return [entry for entry in history.entries(vault) if entry.action == action]


# --- durations (frozen clock: created on 23/11/2026 at 10:00, Paris) --------------------

DURATIONS = [
    ("3h", datetime(2026, 11, 23, 12, 59), datetime(2026, 11, 23, 13, 0)),
    ("1d", datetime(2026, 11, 24, 9, 59), datetime(2026, 11, 24, 10, 0)),
    ("7d", datetime(2026, 11, 30, 9, 59), datetime(2026, 11, 30, 10, 0)),
    ("1m", datetime(2026, 12, 23, 9, 59), datetime(2026, 12, 23, 10, 0)),
]


@pytest.mark.parametrize(("duration", "still", "ended"), DURATIONS)
def test_each_duration_ends_on_time(vault, frozen, duration, still, ended):
    link, token, code = share(vault, duration=duration)
    assert code is None
    frozen(still)
    assert links.open_link(token) == link
    frozen(ended)
    with pytest.raises(links.LinkExpired):
        links.open_link(token)
    assert api.content.get_state(link) == "expired"
    assert [entry.details["link"] for entry in entries(vault, "share_expired")] == [link.getId()]


def test_a_link_until_revoked_has_no_end(vault, frozen):
    link, token, _ = share(vault, duration="revoked")
    assert link.expires is None
    frozen(datetime(2031, 1, 1, 0, 0))
    assert links.open_link(token) == link
    with as_system():
        clock.run_clock(api.portal.get())
    assert api.content.get_state(link) == "active"


def test_the_clock_expires_links_once(vault, frozen):
    link, _, _ = share(vault, duration="3h")
    other, _, _ = share(vault, duration="1d")
    frozen(datetime(2026, 11, 23, 14, 0))
    with as_system():
        clock.run_clock(api.portal.get())
        clock.run_clock(api.portal.get())  # idempotent
    assert api.content.get_state(link) == "expired"
    assert api.content.get_state(other) == "active"
    assert len(entries(vault, "share_expired")) == 1
    assert entries(vault, "share_expired")[0].actor == clock.CLOCK_ACTOR


def test_unknown_durations_and_empty_recipients_are_refused(vault):
    with pytest.raises(VaultError) as refused:
        share(vault, duration="2y")
    assert refused.value.code == "bad_duration"
    with pytest.raises(VaultError) as refused:
        share(vault, recipient="  ")
    assert refused.value.code == "no_recipient"
    with pytest.raises(VaultError) as refused:
        share(vault, documents=[])
    assert refused.value.code == "no_document"
    assert links.links_of(vault) == []


# --- access code -------------------------------------------------------------------------


def test_the_access_code_is_six_digits_and_only_its_hash_is_kept(vault):
    link, token, code = share(vault, with_code=True)
    assert len(code) == 6 and code.isdigit()
    assert code not in repr(link.__dict__)
    assert link.code_hash.startswith("scrypt$")
    with pytest.raises(links.CodeRequired):
        links.open_link(token)
    assert links.open_link(token, code) == link


def test_five_wrong_codes_lock_the_link_for_fifteen_minutes(vault, frozen):
    link, token, code = share(vault, with_code=True)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        with pytest.raises(links.WrongCode) as refused:
            links.open_link(token, wrong)
        assert refused.value.left == left
    with pytest.raises(links.LinkLocked):
        links.open_link(token, wrong)
    locked = entries(vault, "share_locked")
    assert [entry.details["link"] for entry in locked] == [link.getId()]
    # locked: even the right code is refused
    frozen(datetime(2026, 11, 23, 10, 14))
    with pytest.raises(links.LinkLocked):
        links.open_link(token, code)
    frozen(datetime(2026, 11, 23, 10, 15))
    assert links.open_link(token, code) == link
    assert link.failures == 0


def test_a_right_code_resets_the_count(vault):
    _, token, code = share(vault, with_code=True)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(links.WrongCode):
            links.open_link(token, wrong)
    links.open_link(token, code)
    with pytest.raises(links.WrongCode) as refused:
        links.open_link(token, wrong)
    assert refused.value.left == 4


# --- revocation ----------------------------------------------------------------------------


def test_the_owner_revokes_a_link_at_once(vault):
    link, token, _ = share(vault)
    with acting_as("jdupont"):
        links.revoke(link)
    assert api.content.get_state(link) == "revoked"
    with pytest.raises(links.LinkRevoked):
        links.open_link(token)
    assert [entry.details["link"] for entry in entries(vault, "unshare")] == [link.getId()]
    with acting_as("jdupont"), pytest.raises(VaultError):
        links.revoke(link)


def test_unknown_tokens_are_unknown(vault):
    share(vault)
    for token in ("", "x" * 43, "x" * 500, None):
        with pytest.raises(links.LinkUnknown):
            links.open_link(token)


def test_links_stop_when_the_vault_is_closing(vault):
    _, token, _ = share(vault)
    with acting_as("jdupont"):
        closing.request_closure(vault)
    with pytest.raises(links.LinkRevoked):
        links.open_link(token)
    with pytest.raises(VaultError) as refused:
        share(vault)
    assert refused.value.code == "vault_not_open"


def test_superseded_papers_are_not_shared(vault):
    from ccas.vault.api import documents
    from vaults import pdf_bytes

    old = shared(vault)
    with acting_as("jdupont"):
        documents.replace(old, data=pdf_bytes("2027"), filename="new.pdf")
    with pytest.raises(VaultError) as refused:
        share(vault, documents=[old])
    assert refused.value.code == "superseded"


# --- tokens never in clear ---------------------------------------------------------------


def test_tokens_never_appear_in_the_history_or_the_logs(vault, caplog):
    caplog.set_level(logging.DEBUG)
    link, token, code = share(vault, with_code=True)
    links.open_link(token, code)
    links.record_opening(link, [shared(vault)])
    with acting_as("jdupont"):
        links.revoke(link)
    assert len(token) >= 43  # 32 random bytes
    exported = history.export_json(vault)
    assert token not in exported and code not in exported
    assert token not in caplog.text
    assert token not in repr(link.__dict__)
    directory = vault.aq_parent
    index = getattr(directory, links.TOKEN_INDEX)
    assert token not in list(index.keys())
    assert links.token_hash(token) in index
    assert token not in json.dumps(links.link_info(link))


def test_openings_say_when_and_what(vault, frozen):
    link, token, _ = share(vault)
    frozen(datetime(2026, 11, 24, 8, 30))
    links.record_opening(links.open_link(token), [shared(vault)])
    (opening,) = link.openings
    assert opening["when"].startswith("2026-11-24T07:30")  # UTC
    assert opening["what"] == [f"Attestation CAF ({shared(vault).getId()})"]
    (entry,) = entries(vault, "share_opened")
    assert entry.details["link"] == link.getId()
    assert entry.target_uid == shared(vault).UID()


# --- who -----------------------------------------------------------------------------------


def test_the_owner_shares_private_and_shared_papers(vault):
    link, _, _ = share(vault, documents=[private(vault), shared(vault)])
    assert link.on_behalf_of == ""
    (entry,) = entries(vault, "share")
    assert entry.actor == "jdupont" and entry.on_behalf_of == ""


def test_a_sharer_shares_shared_papers_on_the_owners_behalf(vault):
    link, _, _ = share(vault, login="partageur")
    assert link.on_behalf_of == "jdupont"
    (entry,) = entries(vault, "share")
    assert entry.actor == "partageur" and entry.on_behalf_of == "jdupont"


def test_agents_never_share_papers_of_the_private_space(vault):
    with pytest.raises(Unauthorized):
        share(vault, login="partageur", documents=[private(vault)])
    with pytest.raises(Unauthorized):
        share(vault, login="partageur", documents=[shared(vault), private(vault)])
    assert links.links_of(vault) == []


@pytest.mark.parametrize("login", ["lecteur", "agent", "manager", "siteadmin", None])
def test_others_neither_create_nor_list_links(vault, login):
    link, _, _ = share(vault)
    links.record_opening(link, [shared(vault)])
    with pytest.raises(Unauthorized):
        share(vault, login=login)
    forget_cached_local_roles(vault.REQUEST)
    with acting_as(login):
        assert links.visible_links(vault) is None
        assert not links.may_manage(link)
        with pytest.raises(Unauthorized):
            links.revoke(link)


def test_a_sharer_sees_only_links_of_shared_papers(vault):
    mine, _, _ = share(vault, login="partageur")
    owners, _, _ = share(vault)
    private_link, _, _ = share(vault, documents=[private(vault), shared(vault)])
    forget_cached_local_roles(vault.REQUEST)
    with acting_as("partageur"):
        assert {link.getId() for link in links.visible_links(vault)} == {
            mine.getId(),
            owners.getId(),
        }
        with pytest.raises(Unauthorized):
            links.revoke(private_link)
        links.revoke(owners)
    (entry,) = entries(vault, "unshare")
    assert entry.on_behalf_of == "jdupont"
    with acting_as("jdupont"):
        assert len(links.visible_links(vault)) == 3


def test_the_watermark_names_the_recipient_the_day_and_the_town(vault):
    link, _, _ = share(vault)
    api.portal.set_registry_record("ccas.vault.settings.city_name", "Démoville")
    assert links.watermark_text(link) == (
        "Copie transmise à CAF de Démoville le 23/11/2026 — "
        "coffre-fort numérique du CCAS de Démoville"
    )


def test_the_watermark_without_a_town_names_the_ccas_once(vault):
    """Issue 20: the town unset and the site named "CCAS de Démoville" gave
    "du CCAS de CCAS de Démoville"."""
    link, _, _ = share(vault)
    api.portal.set_registry_record("ccas.vault.settings.city_name", "")
    api.portal.get().setTitle("CCAS de Démoville")
    for setting in ("ccas_name", "seal_name"):
        api.portal.set_registry_record(f"ccas.vault.settings.{setting}", "")
    assert links.watermark_text(link).endswith("— coffre-fort numérique du CCAS de Démoville")
    api.portal.set_registry_record("ccas.vault.settings.ccas_name", "Centre social d'Orval")
    assert links.watermark_text(link).endswith("— coffre-fort numérique — Centre social d'Orval")
    api.portal.set_registry_record("ccas.vault.settings.city_name", "Orléans")
    assert links.watermark_text(link).endswith("coffre-fort numérique du CCAS d'Orléans")


# --- REST ------------------------------------------------------------------------------------


@pytest.fixture
def rest_vault(functional_portal):
    make_agent("accueil")
    make_agent("partageur")
    make_agent("agent")
    make_user("manager", ["Manager"])
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    deposit_as("jdupont", vault["prive"], title="Carte d'identité", document_type="cni")
    active_mandate(vault, agents=("partageur",), scopes=("share",))
    transaction.commit()
    return vault


def rest(vault, login, method, path="", space="", **kw):
    base = f"{vault.absolute_url()}{'/' + space if space else ''}/@share-links{path}"
    auth = (login, PASSWORD) if login else None
    return requests.request(
        method, base, headers={"Accept": "application/json"}, auth=auth, timeout=60, **kw
    )


def test_rest_create_list_and_revoke(rest_vault):
    vault = rest_vault
    body = {
        "documents": [shared(vault).UID(), private(vault).UID()],
        "recipient": "Mme Durand",
        "duration": "1d",
        "with_code": True,
    }
    created = rest(vault, "jdupont", "POST", json=body)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert "/@@lien#" in answer["url"]
    token = answer["url"].split("#", 1)[1]
    assert len(answer["code"]) == 6
    listed = rest(vault, "jdupont", "GET").json()
    assert listed["items_total"] == 1
    (item,) = listed["items"]
    assert item["recipient"] == "Mme Durand" and item["review_state"] == "active"
    assert "code" not in item and token not in json.dumps(listed)
    assert {doc["title"] for doc in item["documents"]} == {"Attestation CAF", "Carte d'identité"}
    # a sharer sees no link with a private paper, and cannot revoke it
    assert rest(vault, "partageur", "GET", space="partage").json()["items"] == []
    refused = rest(vault, "partageur", "POST", f"/{item['id']}/revoke", space="partage")
    assert refused.status_code == 404
    revoked = rest(vault, "jdupont", "POST", f"/{item['id']}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["review_state"] == "revoked"


def test_rest_sharer_on_the_shared_space(rest_vault):
    vault = rest_vault
    body = {"documents": [shared(vault).UID()], "recipient": "CAF", "duration": "3h"}
    created = rest(vault, "partageur", "POST", space="partage", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["on_behalf_of"] == "jdupont"
    assert created.json()["code"] is None
    body["documents"] = [private(vault).UID()]
    assert rest(vault, "partageur", "POST", space="partage", json=body).status_code == 403


@pytest.mark.parametrize(("login", "status"), [("agent", 403), ("manager", 403), (None, 401)])
def test_rest_refuses_strangers(rest_vault, login, status):
    vault = rest_vault
    body = {"documents": [shared(vault).UID()], "recipient": "CAF", "duration": "3h"}
    assert rest(vault, login, "POST", json=body).status_code == status
    assert rest(vault, login, "POST", space="partage", json=body).status_code == status
    assert rest(vault, login, "GET").status_code == status
    assert rest(vault, login, "GET", space="partage").status_code == status
    assert rest(vault, login, "POST", json={}).status_code == status
    assert rest(vault, login, "POST", "/l-000000000000/revoke").status_code == status


def test_rest_bad_requests_answer_in_french(rest_vault):
    vault = rest_vault
    body = {"documents": [shared(vault).UID()], "recipient": "CAF", "duration": "2y"}
    response = rest(vault, "jdupont", "POST", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "bad_duration"
    assert "durée" in response.json()["error"]["message_fr"]
    response = rest(vault, "jdupont", "POST", json={"recipient": "CAF", "duration": "3h"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_fields"


def test_a_closed_vault_leaves_no_token_behind(vault, frozen):
    _, token, _ = share(vault)
    directory = vault.aq_parent
    assert links.token_hash(token) in getattr(directory, links.TOKEN_INDEX)
    with acting_as("jdupont"):
        closing.request_closure(vault)
    frozen(datetime(2027, 1, 1, 3, 0))
    with as_system():
        clock.run_clock(api.portal.get())
    assert vault.getId() not in directory
    assert links.token_hash(token) not in getattr(directory, links.TOKEN_INDEX)
    with pytest.raises(links.LinkUnknown):
        links.open_link(token)
