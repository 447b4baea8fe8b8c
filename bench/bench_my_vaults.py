"""Benchmark of "Mes accompagnements": 10 000 vaults, 1 000 agents, 20 000 mandates.

Builds the data in a throwaway Plone site (``CCAS_VAULT_FUNCTIONAL_TESTING``,
set up by this script, with its WSGI server), then times, for 200 random
agents: ``my_vaults()`` in the process, the REST endpoint
``GET /coffres/@my-vaults`` and the ``@@mes-accompagnements`` page over HTTP.
The same is measured first with 1 000 vaults / 100 agents / 2 000 mandates
(each agent holds 20 mandates at both scales), and the ratio printed.

The data is real: Vault, PrivateSpace, SharedSpace and Mandate objects created
with ``_createObjectByType`` as system, states reached through the workflow
(vault: consent; mandate: submit, activate, some revoked), the roster written
by ``ccas.vault.api.mandates.sync`` (``workspace.sync_roster``).  What is
skipped for speed: the persons' own accounts, the history entries and the
signatures (none of them is read by "Mes accompagnements").

Passes (returns 0) when the p50 of the REST endpoint and of the page are
≤ 100 ms at 10 000 vaults and the REST p50 grows less than √10 ≈ 3.16 times
for 10 times the data.
"""

from datetime import date
from datetime import timedelta
import contextlib
import os
import random
import statistics
import sys
import time


TARGET_MS = 100.0
MAX_RATIO = 10**0.5
SAMPLES = 200
PASSWORD = "Mot-de-passe-long-1"
MANDATES_PER_AGENT = 20
COMMIT_EVERY = 250
BUILD_BUDGET = int(os.environ.get("BENCH_BUILD_BUDGET", "720"))  # seconds, large scale

_FIRST = (
    "Jean Zoé Éloïse Mathéo Inès Noé Chloé Léa Hélène Gaël Anaïs Jérôme Françoise Amélie "
    "Paul Marie Louis Camille Adèle Raphaël Maëlle Joël Cécile Benoît Aurélien Noémie"
)
_LAST = (
    "Dupont Martin Élève Bernard Lefèvre Moreau Girard Faure Rousseau Mercier Bonnet "
    "Lambert Fontaine Chevalier Garnier Legrand Gauthier Perrin Robin Clément Morin Nicolas "
    "Henry Roussel Mathieu Gautier Masson Marchand Duval Denis Dumont Marie Lemaire Noël "
    "Meyer Dufour Meunier Brun Blanchard Giraud Joly Rivière Lucas Brunet Gaillard Barbier "
    "Arnaud Gérard Roche Renard Schmitt Roy Leroux Colin Vidal Caron Picard Roger Fabre "
    "Aubert Lemoine Renaud Dumas Lacroix Olivier Philippe Bourgeois Pierre Benoît Rey Leclerc "
    "Payet Rolland Leclercq Guillaume Lecomte Lopez Jean Dupuy Guillot Hubert Berger Carpentier "
    "Sanchez Dupuis Moulin Louis Deschamps Huet Vasseur Perez Boucher Fleury Royer Klein "
    "N'Diaye Traoré Nguyen Ben-Saïd Da Silva Kowalski"
)
FIRST_NAMES = _FIRST.split()
LAST_NAMES = _LAST.split()


def _layers(layer, ordered):
    for base in layer.__bases__:
        _layers(base, ordered)
    if layer not in ordered:
        ordered.append(layer)
    return ordered


class Site:
    """The functional layer stack, set up and torn down like zope.testrunner does."""

    def __init__(self, layer):
        self.layer = layer
        self.layers = _layers(layer, [])

    def __enter__(self):
        for layer in self.layers:
            layer.setUp()
        return self

    def __exit__(self, *exc):
        for layer in reversed(self.layers):
            with contextlib.suppress(NotImplementedError):
                layer.tearDown()

    def test_set_up(self):
        for layer in self.layers:
            layer.testSetUp()
        return self.layer["portal"]

    def test_tear_down(self):
        for layer in reversed(self.layers):
            layer.testTearDown()


def make_agents(count):
    from ccas.vault import roles
    from ccas.vault.accounts import ensure_account
    from ccas.vault.accounts import ensure_group

    ensure_group("ccas-agents", "Agents du CCAS", [roles.VAULT_AGENT])
    agents = [f"agent{number:04d}" for number in range(count)]
    for login in agents:
        ensure_account(login, PASSWORD, login.title(), groups=["ccas-agents"])
    return agents


def _mandate_plan(rng, agents, vault_count):
    """Two mandates per vault, one agent each; every agent named in 20 mandates."""
    slots = [agent for agent in agents for _ in range(MANDATES_PER_AGENT)]
    rng.shuffle(slots)
    assert len(slots) == 2 * vault_count
    return [slots[2 * i : 2 * i + 2] for i in range(vault_count)]


def _mandate_kind(rng, today):
    """(start, end, final state): 80 % in force, 10 % active past end, 5 % revoked, 5 % unsigned."""
    draw = rng.random()
    start = today - timedelta(days=rng.randint(1, 300))
    if draw < 0.80:
        end = None if rng.random() < 0.1 else today + timedelta(days=rng.randint(0, 365))
        return start, end, "active"
    if draw < 0.90:
        return start - timedelta(days=400), today - timedelta(days=rng.randint(1, 60)), "active"
    if draw < 0.95:
        return start, today + timedelta(days=200), "revoked"
    return start, today + timedelta(days=365), "awaiting_signatures"


def build(portal, vault_count, agent_count, seed=4, budget=None):
    """The vaults, agents and mandates; returns (agents, seconds, vaults built).

    Stops early (at a commit) once ``budget`` seconds have passed.
    """
    from BTrees.OOBTree import OOBTree
    from ccas.vault import roles
    from ccas.vault.api import mandates as mandate_api
    from ccas.vault.api.vaults import _index
    from ccas.vault.api.vaults import _person_key
    from ccas.vault.api.vaults import OWNER_INDEX
    from ccas.vault.api.vaults import PERSON_INDEX
    from ccas.vault.api.vaults import vault_directory
    from ccas.vault.security import as_system
    from plone import api
    from Products.CMFPlone.utils import _createObjectByType
    import transaction

    rng = random.Random(seed)
    began = time.perf_counter()
    with as_system():
        agents = make_agents(agent_count)
    transaction.commit()
    today = date.today()
    directory = vault_directory()
    plan = _mandate_plan(rng, agents, vault_count)
    built = 0
    with as_system():
        person_index = _index(directory, PERSON_INDEX)
        owner_index = _index(directory, OWNER_INDEX)
        for number in range(vault_count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            born = date(1930, 1, 1) + timedelta(days=rng.randint(0, 33000))
            login = f"usager{number:05d}"
            vault_id = f"c-{rng.getrandbits(40):010x}"
            vault = _createObjectByType(
                "Vault",
                directory,
                vault_id,
                first_name=first,
                last_name=last,
                birth_date=born,
                owner_login=login,
                contact_channel="none",
                preferred_language="fr",
                ged_person_ids=[f"GED-{number:06d}"],
            )
            vault.manage_delLocalRoles(list(vault.users_with_local_role("Owner")))
            vault.manage_setLocalRoles(login, [roles.VAULT_OWNER])
            _createObjectByType("PrivateSpace", vault, "prive", title="Mon espace privé")
            _createObjectByType("SharedSpace", vault, "partage", title="Espace partagé")
            for space in (vault["prive"], vault["partage"]):
                space.manage_delLocalRoles(list(space.users_with_local_role("Owner")))
            api.content.transition(obj=vault, transition="consent")
            person_index.setdefault(_person_key(last, first, born), OOBTree())[vault_id] = True
            owner_index[login] = vault_id
            for index, agent in enumerate(plan[number]):
                start, end, state = _mandate_kind(rng, today)
                mandate = _createObjectByType(
                    "Mandate",
                    vault,
                    f"m-{index}{rng.getrandbits(20):05x}",
                    title="Mandat",
                    agents=[agent],
                    scopes=set(
                        rng.sample(
                            ("consult", "extract", "deposit", "share", "account"), rng.randint(1, 3)
                        )
                    ),
                    start=start,
                    end=end,
                )
                mandate.organisations[agent] = ""
                mandate.manage_delLocalRoles(list(mandate.users_with_local_role("Owner")))
                api.content.transition(obj=mandate, transition="submit")
                if state in ("active", "revoked"):
                    api.content.transition(obj=mandate, transition="activate")
                if state == "revoked":
                    api.content.transition(obj=mandate, transition="revoke")
            mandate_api.sync(vault)
            built = number + 1
            if built % COMMIT_EVERY == 0:
                transaction.commit()
                elapsed = time.perf_counter() - began
                if built % 2000 == 0:
                    print(f"  built {built} vaults in {elapsed:.0f} s", flush=True)
                if budget is not None and elapsed > budget and built < vault_count:
                    print(f"  build budget ({budget} s) spent: stopping at {built} vaults")
                    break
    transaction.commit()
    return agents, time.perf_counter() - began, built


def _ms(timings):
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(portal, agents, seed=5):
    """p50 / p95 (ms) of my_vaults() in process, the REST endpoint and the page."""
    from ccas.vault.api import accompaniments
    from plone import api
    import requests
    import transaction

    rng = random.Random(seed)
    sample = [rng.choice(agents) for _ in range(SAMPLES)]
    transaction.begin()
    in_process, counts = [], []
    for login in sample:
        with api.env.adopt_user(username=login):
            began = time.perf_counter()
            items = accompaniments.my_vaults()
            in_process.append(time.perf_counter() - began)
            counts.append(len(items))
    base = portal.absolute_url()
    results = {"api": _ms(in_process), "items": statistics.mean(counts)}
    session = requests.Session()
    for name, url in (
        ("rest", f"{base}/++api++/coffres/@my-vaults"),
        ("page", f"{base}/@@mes-accompagnements"),
    ):
        session.get(url, auth=(sample[0], PASSWORD), timeout=60)  # warm-up
        timings = []
        for login in sample:
            began = time.perf_counter()
            response = session.get(url, auth=(login, PASSWORD), timeout=60)
            timings.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code} to {login}")
        results[name] = _ms(timings)
    return results


def run_scale(site, vault_count, agent_count, budget=None):
    from zope.component.hooks import setSite

    portal = site.test_set_up()
    setSite(portal)
    try:
        agents, seconds, built = build(portal, vault_count, agent_count, budget=budget)
        print(
            f"built {built} vaults, {agent_count} agents, {2 * built} mandates in {seconds:.0f} s",
            flush=True,
        )
        results = measure(portal, agents)
    finally:
        site.test_tear_down()
    for name in ("api", "rest", "page"):
        p50, p95 = results[name]
        print(f"  {name:4}: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({SAMPLES} agents)")
    print(f"  vaults listed per agent: {results['items']:.1f} on average")
    results["vaults"] = built
    return results


def main():
    os.environ.setdefault("zope_i18n_compile_mo_files", "true")
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING

    large_vaults = int(os.environ.get("BENCH_VAULTS", "10000"))
    with Site(CCAS_VAULT_FUNCTIONAL_TESTING) as site:
        small = run_scale(site, 1000, 100)
        large = run_scale(site, large_vaults, large_vaults // 10, budget=BUILD_BUDGET)
    ratio = large["rest"][0] / small["rest"][0]
    api_ratio = large["api"][0] / small["api"][0]
    print(
        f"my-vaults: p50 {large['rest'][0]:.1f} ms ({large['vaults']} vaults) vs "
        f"{small['rest'][0]:.1f} ms (1000 vaults), ratio {ratio:.2f} "
        f"[REST; in-process my_vaults(): {large['api'][0]:.2f} vs {small['api'][0]:.2f} ms, "
        f"ratio {api_ratio:.2f}; page p50 {large['page'][0]:.1f} ms]"
    )
    ok = large["rest"][0] <= TARGET_MS and large["page"][0] <= TARGET_MS and ratio < MAX_RATIO
    print(
        f"target (p50 <= {TARGET_MS:.0f} ms, ratio < {MAX_RATIO:.2f}): {'met' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
