"""The experiment's indicators on the demo data, counted by hand (issue 8, decision 0021).

The demo profile (``setuphandlers/demo_people.py``) places its events ``a``
months ago (a = 5 … 0, 0 being the current month).  The expectations below
were counted by hand from that table, not by running the code: each list
gives the months a5, a4, a3, a2, a1, a0.  ``None`` is a masked cell (fewer
than 3 vaults proposed by then in that organisation).  Organisations: the
CCAS (alice.martin, bruno.diallo, mbenali, ngarcia, jlefebvre, sroux,
pnguyen, lfontaine), the CAF (kdubois, emoreau, hsimon, aleroy); rblanc's
vault was closed and deleted (a tombstone: counted in the total only).
"""

from ccas.vault import roles
from ccas.vault.indicators import charts
from ccas.vault.indicators import compute
from ccas.vault.setuphandlers import demo_people
from datetime import datetime
from plone import api
from plone.app.testing import applyProfile
from plone.app.testing import SITE_OWNER_NAME
from vaults import make_user
from vaults import PASSWORD
from zoneinfo import ZoneInfo
import csv
import io
import pytest
import transaction
import xml.etree.ElementTree as ET


M = None  # a masked cell
ALL, CCAS, CAF = "", "ccas", "caf"

HAND = {
    "vaults_proposed": {
        ALL: [3, 2, 2, 2, 2, 2],
        CCAS: [M, 2, 1, 1, 1, 1],
        CAF: [M, M, M, M, 1, 1],
    },
    "vaults_opened": {
        ALL: [3, 2, 2, 2, 2, 1],
        CCAS: [M, 2, 1, 1, 1, 0],
        CAF: [M, M, M, M, 1, 1],
    },
    "vaults_activated": {
        ALL: [2, 1, 3, 0, 3, 1],
        CCAS: [M, 1, 2, 0, 1, 0],
        CAF: [M, M, M, M, 2, 1],
    },
    "vaults_held": {
        ALL: [3, 5, 6, 8, 10, 11],
        CCAS: [M, 4, 5, 6, 7, 7],
        CAF: [M, M, M, M, 3, 4],
    },
    "logins": {
        ALL: [2, 2, 5, 2, 6, 6],
        CCAS: [M, 2, 4, 2, 3, 4],
        CAF: [M, M, M, M, 3, 2],
    },
    "logins_per_vault": {
        ALL: [1.0, 0.5, 0.8, 0.3, 0.6, 0.5],
        CCAS: [M, 0.5, 0.8, 0.3, 0.4, 0.6],
        CAF: [M, M, M, M, 1.0, 0.5],
    },
    "documents_deposited": {
        ALL: [3, 2, 6, 5, 6, 2],
        CCAS: [M, 2, 5, 3, 5, 1],
        CAF: [M, M, M, M, 1, 1],
    },
    "documents_deposited_by_person": {
        ALL: [3, 2, 4, 2, 3, 2],
        CCAS: [M, 2, 3, 1, 2, 1],
        CAF: [M, M, M, M, 1, 1],
    },
    "documents_deposited_by_agent": {
        ALL: [0, 0, 2, 2, 2, 0],
        CCAS: [M, 0, 2, 1, 2, 0],
        CAF: [M, M, M, M, 0, 0],
    },
    "documents_deposited_by_ged": {
        ALL: [0, 0, 0, 1, 1, 0],
        CCAS: [M, 0, 0, 1, 1, 0],
        CAF: [M, M, M, M, 0, 0],
    },
    "documents_type.cni": {ALL: [2, 0, 0, 0, 2, 0], CCAS: [M, 0, 0, 0, 1, 0]},
    "documents_type.carte-vitale": {ALL: [1, 0, 0, 0, 0, 0]},
    "documents_type.justificatif-domicile": {ALL: [0, 1, 0, 0, 1, 0]},
    "documents_type.rib": {ALL: [0, 1, 1, 0, 0, 0]},
    "documents_type.avis-imposition": {ALL: [0, 0, 1, 1, 0, 0]},
    "documents_type.attestation-caf": {ALL: [0, 0, 2, 1, 0, 0]},
    "documents_type.titre-sejour": {ALL: [0, 0, 1, 0, 0, 0]},
    "documents_type.livret-famille": {ALL: [0, 0, 1, 0, 0, 0]},
    "documents_type.attestation-domiciliation": {ALL: [0, 0, 0, 1, 1, 0]},
    "documents_type.attestation-droits-sante": {ALL: [0, 0, 0, 1, 0, 0]},
    "documents_type.bulletin-salaire": {ALL: [0, 0, 0, 1, 1, 0]},
    "documents_type.attestation-france-travail": {ALL: [0, 0, 0, 0, 1, 0]},
    "documents_type.diplome": {ALL: [0, 0, 0, 0, 0, 1]},
    "documents_type.photo": {ALL: [0, 0, 0, 0, 0, 1], CAF: [M, M, M, M, 0, 1]},
    "documents_per_vault_mean": {
        ALL: [1.5, 1.3, 1.8, 2.0, 2.2, 2.2],
        CCAS: [M, 1.3, 2.0, 2.2, 2.6, 2.7],
        CAF: [M, M, M, M, 1.3, 1.3],
    },
    "documents_per_vault_median": {
        ALL: [1.5, 1.5, 1.5, 2.0, 2.0, 2.0],
        CCAS: [M, 1.5, 2.0, 2.0, 2.0, 2.0],
        CAF: [M, M, M, M, 1.0, 1.0],
    },
    "documents_deleted": {ALL: [0, 0, 0, 0, 0, 0]},
    "shares": {ALL: [0, 1, 0, 0, 0, 3], CCAS: [M, 1, 0, 0, 0, 2], CAF: [M, M, M, M, 0, 1]},
    "mandates_signed": {
        ALL: [0, 1, 2, 2, 0, 0],
        CCAS: [M, 1, 1, 2, 0, 0],
        CAF: [M, M, M, M, 0, 0],
    },
    "mandates_active": {
        ALL: [0, 1, 3, 5, 4, 4],
        CCAS: [M, 1, 2, 4, 3, 3],
        CAF: [M, M, M, M, 1, 1],
    },
    "mandates_revoked": {ALL: [0, 0, 0, 0, 1, 0], CCAS: [M, 0, 0, 0, 1, 0]},
    # the demo names no relative (decision 0049: counted apart, tests/test_personal_mandates.py)
    "mandates_signed_personal": {ALL: [0, 0, 0, 0, 0, 0]},
    "mandates_active_personal": {ALL: [0, 0, 0, 0, 0, 0]},
    "mandates_revoked_personal": {ALL: [0, 0, 0, 0, 0, 0]},
    "consents_electronic": {
        ALL: [2, 1, 2, 0, 2, 1],
        CCAS: [M, 1, 1, 0, 1, 0],
        CAF: [M, M, M, M, 1, 1],
    },
    "consents_paper": {ALL: [0, 1, 0, 2, 0, 0], CCAS: [M, 1, 0, 1, 0, 0]},
    "password_resets_email": {ALL: [0, 0, 0, 0, 0, 0]},
    "password_resets_questions": {ALL: [0, 0, 0, 0, 0, 1]},
    "password_resets_code_sms": {ALL: [0, 0, 0, 0, 0, 0]},
    "password_resets_code_print": {ALL: [0, 0, 0, 0, 0, 1]},
    "closures_requested": {ALL: [0, 0, 1, 0, 0, 1], CCAS: [M, 0, 0, 0, 0, 1]},
    "vaults_closed": {ALL: [0, 0, 1, 0, 0, 0]},
}


def running(values):
    """The sums since the start (a5 is the demo's first month) of a row of the table."""
    found, total = [], 0
    for value in values:
        total += value
        found.append(total)
    return found


def percent(numerators, denominators):
    return [
        round(100 * n / d, 1) if d else 0 for n, d in zip(numerators, denominators, strict=True)
    ]


def per(numerators, denominators):
    return [
        round(n / d + 1e-9, 1) if d else 0 for n, d in zip(numerators, denominators, strict=True)
    ]


# Since the start (decision 0044): the totals, added up by hand from the rows above.
for _flow in (
    "vaults_proposed",
    "vaults_opened",
    "vaults_activated",
    "logins",
    "documents_deposited",
    "mandates_signed",
    "closures_requested",
):
    HAND[f"{_flow}_cumulative"] = {ALL: running(HAND[_flow][ALL])}
HAND["conversion_opened"] = {
    ALL: percent(HAND["vaults_opened_cumulative"][ALL], HAND["vaults_proposed_cumulative"][ALL])
}
HAND["conversion_activated"] = {
    ALL: percent(HAND["vaults_activated_cumulative"][ALL], HAND["vaults_opened_cumulative"][ALL])
}
HAND["logins_per_vault_cumulative"] = {
    ALL: per(HAND["logins_cumulative"][ALL], HAND["vaults_opened_cumulative"][ALL])
}
HAND["documents_per_vault_cumulative"] = {
    ALL: per(HAND["documents_deposited_cumulative"][ALL], HAND["vaults_opened_cumulative"][ALL])
}
TOTAL_ONLY = (
    "password_resets_email",
    "password_resets_questions",
    "password_resets_code_sms",
    "password_resets_code_print",
    "vaults_closed",
)


def months():
    """The labels of a5 … a0, counted from today in Paris."""
    today = datetime.now(ZoneInfo("Europe/Paris"))
    found = []
    for ago in range(5, -1, -1):
        year, month = today.year, today.month - ago
        while month < 1:
            year, month = year - 1, month + 12
        found.append(f"{year:04d}-{month:02d}")
    return found


def expected_cells():
    """``(indicator, month, organisation) -> value`` of every hand-counted cell."""
    labels = months()
    return {
        (indicator, month, organisation): value
        for indicator, by_organisation in HAND.items()
        for organisation, values in by_organisation.items()
        for month, value in zip(labels, values, strict=True)
    }


def private_words():
    """Names, logins and paper titles of the demo: none may appear in the indicators."""
    words = set()
    for person in demo_people.PEOPLE:
        words |= {person.login, person.first, person.last, person.born.isoformat()}
    for person in demo_people.PEOPLE:
        for reference, _type, title, _at in person.letters:
            words |= {reference, title}
    words |= {demo_people.PARKED_REFERENCE, "GED-1001", "GED-1002", "Démoville, bureau"}
    return words


def vault_ids(site):
    """The ids of the demo vaults and of their papers and mandates."""
    from ccas.vault.indicators.compute import documents_in
    from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID

    transaction.begin()
    found = set()
    for vault in site[VAULT_DIRECTORY_ID].objectValues():
        found |= {vault.getId(), vault.UID()}
        found |= {obj.UID() for obj in vault.objectValues()}  # spaces, mandates, links
        found |= {doc.UID() for doc in documents_in(vault)}
    assert len([i for i in found if i.startswith("c-")]) == 12
    return found


@pytest.fixture
def demo(portal):
    applyProfile(portal, "ccas.vault:demo")
    return portal


def test_every_indicator_equals_the_hand_count(demo):
    first, *_middle, last = months()
    result = compute.compute(first, last)
    assert result.months == months()
    assert set(result.organisations) == {CCAS, CAF}
    wrong = {
        key: (result.value(*key), value)
        for key, value in expected_cells().items()
        if result.value(*key) != value
    }
    assert wrong == {}


def test_every_indicator_is_counted_by_hand(demo):
    """No indicator (nor type of paper) goes untested: the table covers them all."""
    first, *_middle, last = months()
    assert set(compute.compute(first, last).indicator_ids) == set(HAND)


def test_reset_and_closure_counts_stay_in_the_total(demo):
    first, *_middle, last = months()
    result = compute.compute(first, last)
    for indicator in TOTAL_ONLY:
        assert result.value(indicator, last, CCAS) is None
        assert result.value(indicator, last, ALL) is not None


def test_a_month_range_restricts_the_months(demo):
    labels = months()
    result = compute.compute(labels[2], labels[3])
    assert result.months == labels[2:4]
    assert result.value("documents_deposited", labels[2]) == 6


def test_the_demo_history_still_verifies(demo):
    from ccas.vault.api.vaults import vault_directory
    from ccas.vault.history.api import verify

    vaults = vault_directory().objectValues()
    assert len(vaults) == 12
    assert all(verify(vault) is None for vault in vaults)


# --- the page and the CSV over HTTP ----------------------------------------------------


@pytest.fixture
def site(functional_portal):
    applyProfile(functional_portal, "ccas.vault:demo")
    make_user("siteadmin", global_roles=["Site Administrator"])
    api.portal.set_registry_record("plone.available_languages", ["fr", "en"])
    api.portal.set_registry_record("plone.default_language", "fr")
    transaction.commit()
    return functional_portal


def client(request_factory, login):
    if login is None:
        return request_factory(api=False)
    if login == SITE_OWNER_NAME:
        return request_factory(role="Manager", api=False)
    password = PASSWORD if login == "siteadmin" else "demo"
    return request_factory(basic_auth=(login, password), api=False)


def parse_csv(response):
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    text = raw.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["indicateur", "libelle", "mois", "organisation", "valeur", "masque"]
    return rows[1:]


def as_number(text):
    return float(text.replace(",", ".")) if "," in text else int(text)


def test_the_csv_export_matches_the_hand_count(site, request_factory):
    first, *_middle, last = months()
    response = client(request_factory, "archiviste").get(
        f"{site.absolute_url()}/@@ccas-indicateurs.csv", params={"from": first, "to": last}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = parse_csv(response)
    found = {}
    for indicator, text, month, organisation, value, masked in rows:
        assert text  # a label, in French
        key = (indicator, month, "" if organisation == "toutes" else organisation)
        assert key not in found  # one row per indicator x month x organisation
        assert (masked == "oui") == (value == "")
        found[key] = None if masked == "oui" else as_number(value)
    for key, value in expected_cells().items():
        if key[0] in TOTAL_ONLY and key[2] != ALL:
            continue
        assert found[key] == value, key
    assert ("vaults_closed", last, CCAS) not in found
    labels = {row[0]: row[1] for row in rows}
    assert labels["vaults_proposed"] == "Coffres proposés (ouverts par un agent)"
    text = response.content.decode("utf-8")
    assert not {word for word in private_words() if word in text}
    assert not {vault_id for vault_id in vault_ids(site) if vault_id in text}


def test_the_csv_of_one_organisation(site, request_factory):
    first, *_middle, last = months()
    response = client(request_factory, "archiviste").get(
        f"{site.absolute_url()}/@@ccas-indicateurs.csv",
        params={"from": first, "to": last, "organisation": "caf"},
    )
    organisations = {row[3] for row in parse_csv(response)}
    assert organisations == {"toutes", "caf"}


def test_the_page_shows_the_numbers_and_no_name(site, request_factory):
    first, *_middle, last = months()
    page = client(request_factory, "archiviste").get(
        f"{site.absolute_url()}/@@ccas-indicateurs",
        params={"from": first, "to": last, "organisation": "ccas"},
    )
    assert page.status_code == 200
    assert "Indicateurs de l'expérimentation" in page.text
    assert 'data-indicator="documents_deposited"' in page.text
    assert "Coffres proposés (ouverts par un agent)" in page.text
    assert "2,7" in page.text  # papers per open vault at the CCAS this month (mean)
    assert "@@ccas-indicateurs.csv?" in page.text
    assert not {word for word in private_words() if word in page.text}
    assert not {vault_id for vault_id in vault_ids(site) if vault_id in page.text}


def test_the_page_refuses_a_bad_month_in_french(site, request_factory):
    page = client(request_factory, "archiviste").get(
        f"{site.absolute_url()}/@@ccas-indicateurs", params={"from": "novembre", "to": "2026-11"}
    )
    assert page.status_code == 400
    assert "par exemple 2026-11" in page.text
    csv_response = client(request_factory, "archiviste").get(
        f"{site.absolute_url()}/@@ccas-indicateurs.csv", params={"organisation": "nope"}
    )
    assert csv_response.status_code == 400
    assert "Cette organisation n'existe pas." in csv_response.text


@pytest.mark.parametrize("login", ["archiviste", "siteadmin", SITE_OWNER_NAME])
def test_records_managers_and_administrators_see_the_aggregates(site, request_factory, login):
    http = client(request_factory, login)
    assert http.get(f"{site.absolute_url()}/@@ccas-indicateurs").status_code == 200
    assert http.get(f"{site.absolute_url()}/@@ccas-indicateurs.csv").status_code == 200


@pytest.mark.parametrize(
    "login", [None, "accueil", "travailleur", "partenaire-caf", "alice.martin", "bruno.diallo"]
)
def test_others_are_refused(site, request_factory, login):
    http = client(request_factory, login)
    for view in ("@@ccas-indicateurs", "@@ccas-indicateurs.csv"):
        response = http.get(f"{site.absolute_url()}/{view}", allow_redirects=False)
        assert response.status_code in (302, 401, 403), (view, response.status_code)
        assert "indicateur;libelle" not in response.text
        assert 'data-indicator="' not in response.text


def test_only_records_managers_hold_the_permission_by_role(demo):
    from ccas.vault import permissions

    roles_with = {
        entry["name"]
        for entry in demo.rolesOfPermission(permissions.VIEW_INDICATORS)
        if entry["selected"]
    }
    assert roles_with == {roles.RECORDS_MANAGER, "Manager", "Site Administrator"}


# --- the charts ------------------------------------------------------------------------


def test_the_charts_are_well_formed_svg_with_a_title(site, request_factory):
    page = client(request_factory, "archiviste").get(f"{site.absolute_url()}/@@ccas-indicateurs")
    start = '<svg xmlns="http://www.w3.org/2000/svg" id="chart-'
    svgs = page.text.split(start)[1:]
    assert len(svgs) == 4  # vaults, papers by origin, papers per vault, since the start
    for chunk in svgs:
        svg = ET.fromstring(start + chunk.split("</svg>")[0] + "</svg>")
        ns = "{http://www.w3.org/2000/svg}"
        assert svg.get("role") == "img"
        assert svg.find(f"{ns}title").text
        assert svg.find(f"{ns}desc").text
        assert svg.findall(f".//{ns}rect") or svg.findall(f".//{ns}circle")


def test_chart_text_is_escaped():
    svg = charts.bar_chart(
        "c", "<script>alert(1)</script>", "a & b", ["<m>"], [('"x"', [3]), ("y", [None])]
    )
    root = ET.fromstring(svg)
    assert root.find("{http://www.w3.org/2000/svg}title").text == "<script>alert(1)</script>"
    assert "<script>" not in svg
    line = charts.line_chart("d", "t", "d", ["a", "b", "c"], [("s", [1, None, 2.5])])
    assert len(ET.fromstring(line).findall(".//{http://www.w3.org/2000/svg}circle")) == 2


@pytest.mark.slow
def test_the_page_in_chromium_has_no_serious_accessibility_violation(site):
    """Desktop Chromium, the records manager logged in: charts and table pass axe-core."""
    from axe_playwright_python.sync_playwright import Axe
    from public_skin import phone
    from public_skin import screenshot

    desktop = {"width": 1280, "height": 900}
    with phone(site, viewport=desktop) as page:
        page.goto(f"{site.absolute_url()}/login")
        page.fill("#__ac_name", "archiviste")
        page.fill("#__ac_password", "demo")
        page.click("#login-form button[type=submit], #login-form input[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{site.absolute_url()}/@@ccas-indicateurs?organisation=ccas")
        assert page.locator("svg.ccas-chart").count() == 4
        assert page.locator("#indicators-table").is_visible()
        screenshot(page, "indicateurs")
        results = Axe().run(page, context="#content")
        serious = [
            f"{item['id']}: {[node['target'] for node in item['nodes']]}"
            for item in results.response["violations"]
            if item.get("impact") in ("serious", "critical")
        ]
        assert serious == []
