"""The records manager's side on the shipped instance (issue 20, items 7 and 8).

``real_site``: ``ccas-vault-instance init/site --demo`` served by ``runwsgi``, its clock
running in the server and reading a now-file.

* Item 7: the indicators' CSV and page read the same figures for the demo's six months
  after the in-server clock deleted the demo's closing vault (moved to next month).
* Item 8: in Chromium, the demo's records manager (``archiviste``) changes a document
  type's validity, is led to the preview of the papers already stored (counts only),
  recomputes them, and finds nothing left to do.
"""

from datetime import datetime
from journeys import desktop
from journeys import PASSWORD
from journeys import staff_login
from journeys import text_of
from journeys import today
from public_skin import screenshot
import csv
import io
import pytest
import re
import requests
import time


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

RECORDS_MANAGER = "archiviste"
TYPE = "attestation-caf"


def demo_months():
    """The demo's six months (a5 … a0), as ``YYYY-MM``."""
    day = today()
    found = []
    for ago in range(5, -1, -1):
        year, month = day.year, day.month - ago
        while month < 1:
            year, month = year - 1, month + 12
        found.append(f"{year:04d}-{month:02d}")
    return found


def next_month():
    day = today()
    return datetime(day.year + (day.month == 12), day.month % 12 + 1, 10, 10, 0)


def session():
    found = requests.Session()
    found.auth = (RECORDS_MANAGER, PASSWORD)
    return found


def csv_bytes(site, first, last):
    response = session().get(
        f"{site.url}/@@ccas-indicateurs.csv", params={"from": first, "to": last}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]
    return response.content


def csv_rows(site, first, last):
    text = csv_bytes(site, first, last).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def table(site, first, last):
    response = session().get(
        f"{site.url}/@@ccas-indicateurs", params={"from": first, "to": last}, timeout=60
    )
    assert response.status_code == 200
    found = re.search(r'<table[^>]*id="indicators-table".*?</table>', response.text, re.S)
    return found.group(0)


def rest(site, first, last, **params):
    response = session().get(
        f"{site.url}/@ccas-indicators",
        params={"from": first, "to": last, **params},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:300]
    return response


def closed_in(site, month):
    rows = csv_rows(site, month, month)
    return {row[0]: row[4] for row in rows[1:] if row[3] == "toutes"}.get("vaults_closed")


def test_the_indicators_keep_their_figures_after_the_clock_deletes_a_closed_vault(real_site):
    months = demo_months()
    first, last = months[0], months[-1]
    started = time.monotonic()
    before_csv = csv_rows(real_site, first, last)
    csv_seconds = time.monotonic() - started
    started = time.monotonic()
    before_page = table(real_site, first, last)
    page_seconds = time.monotonic() - started
    before_json = rest(real_site, first, last).json()
    started = time.monotonic()
    table(real_site, first, last)
    page_seconds = min(page_seconds, time.monotonic() - started)
    print(f"\n[indicators] CSV {csv_seconds * 1000:.0f} ms, page {page_seconds * 1000:.0f} ms")
    # The REST service gives the same file, and the same numbers as JSON.
    assert rest(real_site, first, last, format="csv").content == csv_bytes(real_site, first, last)
    proposed = next(item for item in before_json["items"] if item["id"] == "vaults_proposed")
    assert sum(proposed["values"]["toutes"].values()) == sum(
        int(row[4]) for row in before_csv[1:] if row[0] == "vaults_proposed" and row[3] == "toutes"
    )
    later = next_month()
    later_month = later.strftime("%Y-%m")
    assert closed_in(real_site, later_month) == "0"
    real_site.set_now(later)  # past the closing vault's deletion date: the clock deletes it
    try:
        real_site.wait_for(
            lambda: closed_in(real_site, later_month) == "1", "the clock deleting the vault"
        )
        assert csv_rows(real_site, first, last) == before_csv
        assert table(real_site, first, last) == before_page
        assert rest(real_site, first, last).json() == before_json
        # The figures since the start still count the deleted vault next month.
        rows = {
            row[0]: row[4]
            for row in csv_rows(real_site, later_month, later_month)[1:]
            if row[3] == "toutes"
        }
        totals = {row[0]: row[4] for row in before_csv[1:] if row[3] == "toutes" and row[2] == last}
        assert rows["vaults_proposed_cumulative"] == totals["vaults_proposed_cumulative"]
        assert rows["closures_requested_cumulative"] == totals["closures_requested_cumulative"]
        assert int(rows["vaults_held"]) == int(totals["vaults_held"]) - 1
    finally:
        real_site.real_time()


def test_the_records_manager_recomputes_the_papers_already_stored(real_site, browser):
    page = desktop(browser)
    staff_login(page, real_site, RECORDS_MANAGER)
    page.goto(f"{real_site.url}/@@ccas-document-types-edit/{TYPE}")
    page.fill("#form-widgets-validity_months", "1")
    with page.expect_navigation():
        page.click("#form-buttons-save")
    assert f"@@ccas-document-types-recompute/{TYPE}" in page.url
    text = text_of(page)
    assert "Recalculer les papiers déjà rangés" in text
    assert "s'applique aux nouveaux papiers" in text
    counts = {
        row.get_attribute("data-count"): int(row.locator("td").inner_text())
        for row in page.locator("#recompute-preview tr").all()
    }
    assert counts["papers"] >= counts["changed"] > 0
    screenshot(page, "recalcul-validite")  # docs/update_screenshots.py: guide-archiviste.md
    for word in ("Martin", "Diallo", "alice", "bruno", "GED-"):
        assert word not in text
    with page.expect_navigation():
        page.click("#recompute-apply")
    message = text_of(page, ".portalMessage")
    assert f"Papiers recalculés : {counts['changed']}," in message
    assert page.locator("#recompute-preview tr[data-count=changed] td").inner_text() == "0"
    assert page.locator("#recompute-apply").is_disabled()
    # Put the shipped validity back (3 months) and recompute again.
    page.goto(f"{real_site.url}/@@ccas-document-types-edit/{TYPE}")
    page.fill("#form-widgets-validity_months", "3")
    with page.expect_navigation():
        page.click("#form-buttons-save")
    with page.expect_navigation():
        page.click("#recompute-apply")
    assert "Papiers recalculés :" in text_of(page, ".portalMessage")
    # The listing offers it for every type.
    page.goto(f"{real_site.url}/@@ccas-document-types")
    link = page.locator(f"#document-type-{TYPE} a.recompute")
    assert link.inner_text().strip() == "Recalculer les papiers déjà rangés"
