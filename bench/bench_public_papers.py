"""Benchmark of the beneficiary's 'Mes papiers' (``/mon-coffre/papiers``) with 50 papers.

Builds a throwaway Plone site (``CCAS_VAULT_FUNCTIONAL_TESTING`` and its WSGI
server, one process), opens a vault and deposits 50 real papers through the
API (inspection included; a few certified, some expiring, some expired), all
in the private space so that the Classic UI's page of that folder shows the
same 50 papers.  Then, logged in as the owner, over HTTP:

* weight: the HTML of the page plus every stylesheet and script it references
  (fetched once each; images — thumbnails, icons files — excluded), for the
  skin's page and for the default Plone Classic page of the private space;
* server time: p50 (and p90) of ``SAMPLES`` GETs of each page after a warm-up.

Prints both, and the ratios Classic / skin.  Passes (returns 0) when the skin's
page weighs ≤ 100 KB and its p50 is ≤ 50 ms.
"""

from datetime import date
from datetime import timedelta
import contextlib
import gzip
import os
import re
import statistics
import sys
import time


PAPERS = 50
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
WARM_UP = 10
MAX_KB = 100.0
MAX_P50_MS = 50.0
PASSWORD = "Mot-de-passe-long-1"
TYPES = (
    ("cni", "identity"),
    ("passeport", "identity"),
    ("attestation-caf", "income"),
    ("avis-imposition", "income"),
    ("bulletin-salaire", "work"),
    ("justificatif-domicile", "housing"),
    ("rib", "bank"),
    ("livret-famille", "family"),
    ("diplome", "education"),
    ("autre", "other"),
)
ASSET = re.compile(
    r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src)="([^"]+)"', re.IGNORECASE
)
ASSET_REVERSED = re.compile(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', re.IGNORECASE)


def _layers(layer, ordered):
    for base in layer.__bases__:
        _layers(base, ordered)
    if layer not in ordered:
        ordered.append(layer)
    return ordered


@contextlib.contextmanager
def site(layer):
    """The functional layer stack, set up and torn down like zope.testrunner does."""
    layers = _layers(layer, [])
    for each in layers:
        each.setUp()
    for each in layers:
        each.testSetUp()
    try:
        yield layer["portal"]
    finally:
        for each in reversed(layers):
            each.testTearDown()
        for each in reversed(layers):
            with contextlib.suppress(NotImplementedError):
                each.tearDown()


def pdf(text):
    from io import BytesIO
    from reportlab.pdfgen import canvas

    out = BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return out.getvalue()


def build(portal):
    """A vault for ``jdupont`` with ``PAPERS`` papers in its private space."""
    from ccas.vault import roles
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group
    from ccas.vault.api import documents
    from ccas.vault.api import vaults
    from ccas.vault.security import as_system
    from plone import api
    import transaction

    ensure_group("ccas-agents", "Agents du CCAS", [roles.VAULT_AGENT])
    ensure_account("accueil", PASSWORD, "Accueil", groups=["ccas-agents"])
    with api.env.adopt_user(username="accueil"):
        vault = vaults.open_vault(
            first_name="Jean",
            last_name="Dupont",
            birth_date=date(1980, 5, 17),
            login="jdupont",
            password=PASSWORD,
        )
    today = date.today()
    with api.env.adopt_user(username="jdupont"):
        vaults.record_consent(vault, method="electronic")
        for number in range(PAPERS):
            type_id, _ = TYPES[number % len(TYPES)]
            kind = number % 5
            valid_until = {
                0: None,
                1: today + timedelta(days=10),  # expires soon
                2: today - timedelta(days=10),  # expired
                3: today + timedelta(days=400),
                4: None,
            }[kind]
            document = documents.deposit(
                vault["prive"],
                data=pdf(f"Papier {number}"),
                filename=f"papier-{number}.pdf",
                document_type=type_id,
                title=f"Papier numéro {number} — {type_id}",
                valid_until=valid_until,
            )
            if number % 7 == 0:
                with as_system():
                    api.content.transition(obj=document, transition="certify")
    transaction.commit()
    return vault


def assets(html, base):
    found = ASSET.findall(html) + ASSET_REVERSED.findall(html)
    urls = []
    for url in dict.fromkeys(found):
        url = url.replace("&amp;", "&")
        if url.startswith("//"):
            url = "http:" + url
        elif url.startswith("/"):
            url = base + url
        urls.append(url)
    return urls


def weigh(session, url, base):
    """(HTML bytes, assets bytes, gzip total bytes, number of assets)."""
    page = session.get(url, timeout=60)
    assert page.status_code == 200, (url, page.status_code)
    html = page.content
    total_assets = 0
    zipped = len(gzip.compress(html))
    urls = assets(page.text, base)
    for asset in urls:
        answer = session.get(asset, timeout=60)
        if answer.status_code == 200:
            total_assets += len(answer.content)
            zipped += len(gzip.compress(answer.content))
    return len(html), total_assets, zipped, len(urls)


def timings(session, url):
    for _ in range(WARM_UP):
        session.get(url, timeout=60)
    found = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        answer = session.get(url, timeout=60)
        found.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200
    found.sort()
    return statistics.median(found), found[int(len(found) * 0.9) - 1]


def main():
    os.environ.setdefault("zope_i18n_compile_mo_files", "true")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING
    import requests

    with site(CCAS_VAULT_FUNCTIONAL_TESTING) as portal:
        vault = build(portal)
        base = re.match(r"https?://[^/]+", portal.absolute_url()).group(0)
        session = requests.Session()
        login = session.post(
            f"{portal.absolute_url()}/mon-coffre/connexion",
            data={"__ac_name": "jdupont", "__ac_password": PASSWORD, "form.submitted": "1"},
            timeout=60,
            allow_redirects=False,
        )
        assert login.status_code == 303, login.text[:500]
        skin_url = f"{portal.absolute_url()}/mon-coffre/papiers"
        classic_url = vault["prive"].absolute_url()
        page = session.get(skin_url, timeout=60).text
        shown = page.count('class="card"')
        assert shown == PAPERS, f"the skin shows {shown} papers"
        skin_weight = weigh(session, skin_url, base)
        classic_weight = weigh(session, classic_url, base)
        skin_time = timings(session, skin_url)
        classic_time = timings(session, classic_url)

    def kb(weight):
        return (weight[0] + weight[1]) / 1024

    print(
        f"'Mes papiers' ({PAPERS} papers): {kb(skin_weight):.1f} KB "
        f"(HTML {skin_weight[0] / 1024:.1f} KB + {skin_weight[3]} CSS/JS files "
        f"{skin_weight[1] / 1024:.1f} KB; gzip {skin_weight[2] / 1024:.1f} KB), "
        f"p50 {skin_time[0]:.1f} ms, p90 {skin_time[1]:.1f} ms"
    )
    print(
        f"Plone Classic page of the same folder: {kb(classic_weight):.1f} KB "
        f"(HTML {classic_weight[0] / 1024:.1f} KB + {classic_weight[3]} CSS/JS files "
        f"{classic_weight[1] / 1024:.1f} KB; gzip {classic_weight[2] / 1024:.1f} KB), "
        f"p50 {classic_time[0]:.1f} ms, p90 {classic_time[1]:.1f} ms"
    )
    print(
        f"ratio Classic / skin: weight {kb(classic_weight) / kb(skin_weight):.1f}x, "
        f"p50 {classic_time[0] / skin_time[0]:.1f}x"
    )
    ok = kb(skin_weight) <= MAX_KB and skin_time[0] <= MAX_P50_MS
    print(f"target (<= {MAX_KB:.0f} KB, p50 <= {MAX_P50_MS:.0f} ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
