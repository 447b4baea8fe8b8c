"""Benchmark of the agent's page of a vault (``@@dossier``, decision 0045) with 200 papers.

Builds a throwaway Plone site (``CCAS_VAULT_FUNCTIONAL_TESTING`` and its WSGI
server, one process), opens a vault, deposits ``PAPERS`` real papers in its
shared space through the API (a few certified, some expiring, some expired)
and gives an agent a mandate with the consult and deposit scopes.  Then over
HTTP, after a warm-up, the p50 (and p90) server time of ``SAMPLES`` GETs of:

* the agent's page ``/coffres/<vault>/@@dossier`` (as the agent);
* the baseline, measured in the same run: the person's own "Mes papiers"
  (``/mon-coffre/papiers``, the same 200 papers, as the person).

Prints both and the ratio.  Passes (returns 0) when the agent's page shows the
200 papers and its p50 is <= 100 ms.
"""

from datetime import date
from datetime import timedelta
import os
import re
import statistics
import sys
import time


HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from bench_public_papers import pdf  # noqa: E402
from bench_public_papers import site  # noqa: E402
from bench_public_papers import TYPES  # noqa: E402


PAPERS = 200
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "60"))
WARM_UP = 5
MAX_P50_MS = 100.0
PASSWORD = "Mot-de-passe-long-1"


def build(portal):
    """A vault for ``jdupont`` with ``PAPERS`` shared papers; ``travailleur`` consult+deposit."""
    from ccas.vault import roles
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group
    from ccas.vault.api import documents
    from ccas.vault.api import mandates
    from ccas.vault.api import vaults
    from ccas.vault.security import as_system
    from plone import api
    import transaction

    ensure_group("ccas-agents", "Agents du CCAS", [roles.VAULT_AGENT])
    ensure_account("accueil", PASSWORD, "Accueil", groups=["ccas-agents"])
    ensure_account("travailleur", PASSWORD, "Samir Haddad", groups=["ccas-agents"])
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
            valid_until = {
                0: None,
                1: today + timedelta(days=10),
                2: today - timedelta(days=10),
                3: today + timedelta(days=400),
                4: None,
            }[number % 5]
            document = documents.deposit(
                vault["partage"],
                data=pdf(f"Papier {number}"),
                filename=f"papier-{number}.pdf",
                document_type=type_id,
                title=f"Papier numéro {number} — {type_id}",
                valid_until=valid_until,
            )
            if number % 7 == 0:
                with as_system():
                    api.content.transition(obj=document, transition="certify")
        mandate = mandates.create_mandate(
            vault, agents=["travailleur"], scopes=["consult", "deposit"]
        )
        mandates.submit(mandate)
        mandates.sign_as_person(mandate)
    with api.env.adopt_user(username="travailleur"):
        mandates.sign_as_agent(mandate)
    transaction.commit()
    return vault


def login(portal, user):
    """A session with the login cookie (as a browser: no password hashed at each request)."""
    import requests

    session = requests.Session()
    answer = session.post(
        f"{portal.absolute_url()}/mon-coffre/connexion",
        data={"__ac_name": user, "__ac_password": PASSWORD, "form.submitted": "1"},
        timeout=60,
        allow_redirects=False,
    )
    assert answer.status_code == 303 and "__ac" in session.cookies, answer.text[:500]
    return session


def timings(session, url):
    for _ in range(WARM_UP):
        session.get(url, timeout=60)
    found = []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        answer = session.get(url, timeout=60)
        found.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.status_code
    found.sort()
    return statistics.median(found), found[int(len(found) * 0.9) - 1]


def main():
    os.environ.setdefault("zope_i18n_compile_mo_files", "true")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING

    with site(CCAS_VAULT_FUNCTIONAL_TESTING) as portal:
        began = time.perf_counter()
        vault = build(portal)
        built = time.perf_counter() - began
        agent = login(portal, "travailleur")
        agent_url = f"{vault.absolute_url()}/@@dossier"
        page = agent.get(agent_url, timeout=60)
        assert page.status_code == 200, page.text[:2000]
        shown = len(re.findall(r'<tr class="paper"', page.text))
        person = login(portal, "jdupont")
        person_url = f"{portal.absolute_url()}/mon-coffre/papiers"
        agent_time = timings(agent, agent_url)
        person_time = timings(person, person_url)
        deposit = 'id="action-deposit"' in page.text
    print(f"built the vault ({PAPERS} shared papers) in {built:.1f} s")
    print(
        f"agent's page @@dossier ({shown} papers shown, deposit action: {deposit}): "
        f"p50 {agent_time[0]:.1f} ms, p90 {agent_time[1]:.1f} ms ({SAMPLES} GETs)"
    )
    print(
        f"baseline, the person's 'Mes papiers' (same papers): "
        f"p50 {person_time[0]:.1f} ms, p90 {person_time[1]:.1f} ms"
    )
    print(f"ratio agent's page / 'Mes papiers': p50 {agent_time[0] / person_time[0]:.2f}x")
    ok = shown == PAPERS and deposit and agent_time[0] <= MAX_P50_MS
    print(f"target (all {PAPERS} papers, p50 <= {MAX_P50_MS:.0f} ms): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
