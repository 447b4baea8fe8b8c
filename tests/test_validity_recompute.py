"""Recompute the papers already stored after a change of validity (issue 20, item 8).

In process: which papers change, which become out of date or valid again, which are
left alone (no issue date, an end date typed by hand), one history entry per vault,
the records manager's page shows counts only.  The browser walk on the shipped
instance is in ``test_validity_recompute_browser.py``.
"""

from ccas.vault.controlpanels.document_types import recompute
from ccas.vault.document_types import update_document_type
from ccas.vault.history import api as history
from datetime import date
from datetime import datetime
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import make_user
from vaults import open_vault_as
import pytest
import re
import transaction


TYPE = "attestation-caf"  # 3 months in the shipped registry


def papers_of_two_vaults():
    """Two vaults, five CAF certificates; returns ``(vaults, papers by name)``."""
    from ccas.vault import clock

    make_agent("accueil")
    first = consent_as_owner(open_vault_as("accueil", "jdupont"))
    second = consent_as_owner(open_vault_as("accueil", "mmartin", first="Marie", last="Martin"))
    papers = {
        # issued in January: 3 months -> April (expired); 12 months -> January 2027
        "january": deposit_as("jdupont", first["prive"], TYPE, issued=date(2026, 1, 10)),
        # issued in October: 3 months -> January 2027; 1 month -> 10 November (expired)
        "october": deposit_as("mmartin", second["prive"], TYPE, issued=date(2026, 10, 10)),
        # an end typed by hand (not a whole number of months after the issue): kept
        "typed": deposit_as(
            "jdupont",
            first["prive"],
            TYPE,
            issued=date(2026, 9, 1),
            valid_until=date(2026, 12, 24),
        ),
        # no issue date: kept
        "undated": deposit_as("jdupont", first["prive"], TYPE),
        # another type: never touched
        "rib": deposit_as("jdupont", first["prive"], "rib", issued=date(2026, 1, 10)),
    }
    portal = api.portal.get()
    with api.env.adopt_roles(["Manager"]):
        clock.expire_documents(portal)  # the January paper is out of date (April)
    return (first, second), papers


def state(paper):
    return api.content.get_state(paper)


def validity_entries(vault):
    return [e for e in history.entries(vault) if e.action == "validity_recomputed"]


def test_a_longer_validity_renews_the_papers_it_covers(portal, frozen):
    (first, second), papers = papers_of_two_vaults()
    assert state(papers["january"]) == "expired"
    update_document_type(TYPE, validity_months=12)
    plan = recompute.plan(TYPE)
    assert (plan.papers, plan.changed, plan.kept, plan.unchanged) == (4, 2, 2, 0)
    assert (plan.expiring, plan.renewing, plan.vaults) == (0, 1, 2)
    with api.env.adopt_roles(["Manager"]):
        done = recompute.apply(TYPE)
    assert done.changed == 2
    assert papers["january"].valid_until == date(2027, 1, 10)
    assert state(papers["january"]) == "deposited"
    assert papers["october"].valid_until == date(2027, 10, 10)
    assert papers["typed"].valid_until == date(2026, 12, 24)
    assert papers["undated"].valid_until is None
    assert papers["rib"].valid_until != date(2027, 1, 10)
    [entry] = validity_entries(first)
    assert dict(entry.details) == {"type": TYPE, "papers": "1", "expired": "0", "renewed": "1"}
    assert entry.target_uid == "" and entry.target_title == ""
    [entry] = validity_entries(second)
    assert entry.details["papers"] == "1"
    assert history.verify(first) is None
    # Nothing left to do: a second run changes nothing and writes nothing.
    assert recompute.plan(TYPE).changed == 0
    with api.env.adopt_roles(["Manager"]):
        recompute.apply(TYPE)
    assert len(validity_entries(first)) == 1


def test_a_shorter_validity_puts_papers_out_of_date(portal, frozen):
    frozen(datetime(2026, 11, 23, 10, 0))
    (_first, second), papers = papers_of_two_vaults()
    update_document_type(TYPE, validity_months=1)
    plan = recompute.plan(TYPE)
    # january: April -> February (still expired, date changes); october: -> 10 November
    assert (plan.changed, plan.expiring, plan.renewing) == (2, 1, 0)
    with api.env.adopt_roles(["Manager"]):
        recompute.apply(TYPE)
    assert papers["october"].valid_until == date(2026, 11, 10)
    assert state(papers["october"]) == "expired"
    assert state(papers["january"]) == "expired"
    [entry] = validity_entries(second)
    assert entry.details["expired"] == "1"


def test_no_validity_any_more_ends_the_expiry(portal, frozen):
    _vaults, papers = papers_of_two_vaults()
    update_document_type(TYPE, validity_months=None)
    with api.env.adopt_roles(["Manager"]):
        done = recompute.apply(TYPE)
    assert (done.changed, done.renewing) == (2, 1)
    assert papers["january"].valid_until is None
    assert state(papers["january"]) == "deposited"


# --- the records manager's pages over HTTP (in-process server) ---------------------------


@pytest.fixture
def site(functional_portal):
    from ccas.vault import roles

    frozen_papers = papers_of_two_vaults()
    make_user("archiviste", global_roles=[roles.RECORDS_MANAGER])
    transaction.commit()
    return functional_portal, frozen_papers


def test_saving_a_new_validity_leads_to_the_preview_then_apply(site, request_factory):
    from vaults import PASSWORD

    portal, ((first, _second), papers) = site
    client = request_factory(basic_auth=("archiviste", PASSWORD), api=False)
    url = f"{portal.absolute_url()}/@@ccas-document-types-recompute/{TYPE}"
    update_document_type(TYPE, validity_months=12)
    transaction.commit()
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-count="changed"' in page.text
    for name in ("Dupont", "Martin", "jdupont", "mmartin", papers["january"].Title()):
        assert name not in page.text
    assert papers["january"].UID() not in page.text
    # No authenticator: refused, nothing changed.
    refused = client.post(url, data={"form.buttons.apply": "1"})
    assert refused.status_code >= 400
    transaction.begin()
    assert papers["january"].valid_until == date(2026, 4, 10)
    token = re.search(r'name="_authenticator" value="([^"]+)"', page.text).group(1)
    done = client.post(url, data={"form.buttons.apply": "1", "_authenticator": token})
    assert done.status_code == 200  # after the 303 back to the page
    assert "2 papers recomputed in 2 vaults: 0 out of date, 1 valid again" in done.text
    transaction.begin()
    assert papers["january"].valid_until == date(2027, 1, 10)
    [entry] = validity_entries(first)
    assert entry.actor == "archiviste"
    listing = client.get(f"{portal.absolute_url()}/@@ccas-document-types")
    assert f"@@ccas-document-types-recompute/{TYPE}" in listing.text


def test_others_may_not_recompute(site, request_factory):
    from vaults import PASSWORD

    portal, _papers = site
    url = f"{portal.absolute_url()}/@@ccas-document-types-recompute/{TYPE}"
    page = request_factory(basic_auth=("accueil", PASSWORD), api=False).get(url)
    assert page.status_code in (401, 403) or "login" in page.url
