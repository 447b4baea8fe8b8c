"""The hostile suite (issue 19): every route a default site answers, tried as every actor.

``make start``'s demo instance is built in a temporary folder (tests/real_instance.py), then,
*before* ``runwsgi`` starts, tests/hostile_enumerate.py lists from the instance's registries
the browser views of each target (Alice Martin's vault, its private and shared spaces, a
private paper, a shared paper, a mandate, Bruno Diallo's vault, the vault directory, the site
root), the plone.rest services, the vocabularies, the ``++namespace++`` traversers and the
ZMI ``manage_*`` methods of the site and of ``acl_users`` (saved as ``routes.json`` in the
test's folder).  The instance is then served and each route is tried by each actor of
docs/threat-model.md (anonymous, Alice, Bruno, the mandated social worker, a CCAS agent and a
CAF agent without mandate, the records manager, the GED, a Site Administrator and a Manager
made through REST, the Zope admin): every view and read service with GET, every writing
service with a hostile body, the vocabularies through REST and ``@@getVocabulary``, the
namespaces, the ZMI, and the user-management and edit forms (with and without the CSRF
token).  Each answer is classified (tests/hostile.py): held, leak, crash or half-way; the
table ``actor × route family`` is printed and any leak, any half-way and any crash (5xx)
fails the test: no allowance, Plone's own routes included (they answer an incomplete
request with a 4xx: decision 0042).
"""

from hostile import account_effect
from hostile import ACTORS
from hostile import ADMINS
from hostile import Case
from hostile import failures
from hostile import MANAGER
from hostile import NOT_MADE
from hostile import OWNED
from hostile import owner_fingerprint
from hostile import quoted
from hostile import Runner
from hostile import SERVER_LEVEL
from hostile import SITE_ADMIN
from hostile import STRONG
from hostile import table
from hostile import TARGET_ORDER
from hostile import write_allowed
from hostile import write_body
from pathlib import Path
from real_instance import _build
from real_instance import CLOCK_INTERVAL
from real_instance import deployer_env
from real_instance import RealSite
from servers import BIN
from servers import free_port
from servers import run
from servers import zope_server
import collections
import json
import pytest
import re
import requests


pytestmark = pytest.mark.slow

ENUMERATE = Path(__file__).parent / "hostile_enumerate.py"
MIN_CASES = 300
READ_METHODS = ("GET", "HEAD", "OPTIONS")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """``make start``'s instance, its routes enumerated before it is served."""
    home = tmp_path_factory.mktemp("hostile")
    port = free_port()
    now_file = home / "var" / "now"
    _build(home, port, home / "filestorage", "--clock-interval", CLOCK_INTERVAL,
           "--now-file", str(now_file))  # fmt: skip
    out = home / "routes.json"
    run(str(BIN / "python"), str(ENUMERATE), str(home), str(out), env=deployer_env())
    routes = json.loads(out.read_text())
    logs = [home / "var" / "log" / "console.log", home / "var" / "log" / "event.log"]
    with zope_server(home, port, env=deployer_env(), inherit=False) as url:
        site = RealSite(home, url, now_file, logs)
        admin = site.session("admin", "admin")
        for login, role in (SITE_ADMIN, MANAGER):
            made = admin.post(
                f"{site.url}/@users",
                json={"username": login, "email": f"{login}@ccas-demoville.example",
                      "password": STRONG, "roles": [role]},
                timeout=60,
            )  # fmt: skip
            assert made.status_code == 201, made.text[:500]
        yield site, routes
        admin.close()


def first_target(kind, name, routes):
    for target in TARGET_ORDER:
        if name in {tuple(s)[1] if kind == "services" else s for s in routes[kind][target]}:
            return target
    return None


#: who also gets the browser's HTML pages (error pages render the context: its title, its
#: breadcrumbs) on the vault's objects; everybody gets every view as JSON
HTML_ACTORS = ("agent_partner", "site_admin")


def view_cases(routes, url_of):
    views = collections.defaultdict(set)
    for target, names in routes["views"].items():
        for name in names:
            views[name].add(target)
    cases = []
    for name, targets in sorted(views.items()):
        if name.startswith("HEAD_"):
            continue
        target = next(t for t in TARGET_ORDER if t in targets)
        url = f"{url_of(target)}/@@{quoted(name)}"
        for actor in ACTORS:
            cases.append(Case(actor, "views", f"@@{name}", "GET", url, target))
        if target in OWNED:
            for actor in HTML_ACTORS:
                cases.append(Case(actor, "views (HTML)", f"@@{name}", "GET", url, target))
    return cases


READ_VARIANTS = {
    "@users": [("/alice.martin", None), ("", {"query": "a"}), ("/bruno.diallo", None)],
    "@groups": [("", {"query": ""}), ("/beneficiaires", None)],
    "@search": [("", {"SearchableText": "carte", "b_size": 100}),
                ("", {"portal_type": "ccas.vault.VaultDocument", "b_size": 100})],
    "@querystring-search": [("", {"query": json.dumps([{"i": "portal_type", "o": "plone.app.querystring.operation.selection.any", "v": ["ccas.vault.VaultDocument"]}])})],  # noqa: E501
    "@vault-history": [("", None)],
    "@parked-letters": [("", None)],
    "@principals": [("", {"search": "a"})],
}  # fmt: skip


def service_cases(routes, url_of, login_of):
    services = collections.defaultdict(set)
    for target, pairs in routes["services"].items():
        for method, name in pairs:
            services[(method, name)].add(target)
    reads, writes, deletes = [], [], []
    for (method, name), targets in sorted(services.items()):
        if (method, name) in NOT_MADE or method in ("HEAD", "OPTIONS"):
            continue
        primary = next(t for t in TARGET_ORDER if t in targets)
        chosen = [primary] + (["site"] if "site" in targets and primary != "site" else [])
        if name == "" and method in ("PATCH", "POST"):
            chosen.append("vault")  # Plone's content API on the vault itself (issue 19, item 1)
        for target in dict.fromkeys(chosen):
            for actor in ACTORS:
                route = f"{method} {name or '(content)'}"
                base = f"{url_of(target)}/{name}" if name else url_of(target)
                if method == "GET":
                    for suffix, params in READ_VARIANTS.get(name, [("", None)]):
                        reads.append(Case(actor, "REST read", route + suffix, method,
                                          base + suffix, target, params=params))  # fmt: skip
                    continue
                allowed = write_allowed(actor, method, name, target)
                if name == "@vault-closure" and allowed:
                    continue  # the owner may close her vault: not done to the fixture
                spared = target != "site" or name in ("", "@users", "@groups", "@types")
                if method == "DELETE" and (actor in SERVER_LEVEL or allowed) and spared:
                    continue  # allowed to them by the rules, and it would end the fixture
                body = write_body(method, name, routes, url_of("site"), login_of(actor))
                case = Case(actor, "REST write", route, method, base, target, json=body,
                            write=True, allowed=allowed)  # fmt: skip
                (deletes if method == "DELETE" else writes).append(case)
    return reads, writes, deletes


def vocabulary_cases(routes, url_of):
    cases = []
    for name in routes["vocabularies"]:
        for actor in ACTORS:
            cases.append(Case(actor, "REST read", f"@vocabularies/{name}", "GET",
                              f"{url_of('site')}/@vocabularies/{name}", "site",
                              params={"title": "o", "b_size": 200}))  # fmt: skip
            cases.append(Case(actor, "vocabularies (@@getVocabulary)", f"@@getVocabulary {name}",
                              "GET", f"{url_of('vault')}/@@getVocabulary", "vault",
                              params={"name": name, "query": "o"}))  # fmt: skip
    for case in cases:
        case.family = "vocabularies"
    return cases


def namespace_cases(routes, url_of):
    cases = []
    for name in routes["namespaces"]:
        for actor in ACTORS:
            url = f"{url_of('private_paper')}/++{name}++"
            cases.append(Case(actor, "namespaces", f"++{name}++", "GET", url, "private_paper"))
    for actor in ACTORS:
        for path, target in (("++api++", "private_paper"), ("++api++/@users", "site"),
                             ("++api++/@vault-history", "vault")):  # fmt: skip
            cases.append(Case(actor, "namespaces", path, "GET", f"{url_of(target)}/{path}",
                              target, headers={"Accept": "application/json"}))  # fmt: skip
    return cases


def zmi_cases(routes, url_of):
    cases = []
    for where, names in routes["zmi"].items():
        url = url_of("site") + ("/acl_users" if where == "acl_users" else "")
        for name in names:
            for actor in ACTORS:
                if actor in SERVER_LEVEL:
                    continue  # theirs by definition (docs/threat-model.md: what cannot be promised)
                cases.append(Case(actor, "ZMI", f"{where}/{name}", "GET", f"{url}/{name}", "site"))
    return cases


TOKEN = re.compile(
    r'name="_authenticator"\s+value="([^"]+)"|value="([^"]+)"\s+name="_authenticator"'
)


def token_of(runner, actor, urls):
    for url in urls:
        try:
            page = runner.session(actor).get(url, headers={"Accept": "text/html"}, timeout=60)
        except requests.RequestException:
            continue
        found = TOKEN.search(page.text)
        if found:
            return found.group(1) or found.group(2)
    return ""


def account_cases(runner, routes, url_of, login_of, effect):
    """Plone's user management and edit forms, aimed at Alice Martin's account and vault;
    each is judged by what it changed (``effect``), each actor sending its own values."""
    site, vault = url_of("site"), url_of("vault")
    shared_uid = routes["secrets"]["alice.martin"]["vault_uid"]
    cases = []
    for actor in ACTORS:
        if actor == "zope_admin":
            continue  # the server's root: docs/threat-model.md
        evil = f"evil-{actor}@example.org"
        pages = [f"{vault}/@@edit", f"{site}/@@personal-information"]
        token = token_of(runner, actor, [*pages, f"{site}/@@user-information?userid=alice.martin"])
        rest = [
            ("PATCH", "@users/alice.martin", {"email": evil}),
            ("PATCH", "@users/alice.martin", {"fullname": f"Hostile {actor}", "location": actor}),
            ("POST", "@users/alice.martin/reset-password", {}),
            ("PATCH", "@groups/beneficiaires", {"users": {login_of(actor) or "x": True}}),
            ("PATCH", f"@groups/consult:{shared_uid}", {"users": {login_of(actor) or "x": True}}),
            ("POST", "@vocabularies/plone.app.vocabularies.Users", {}),
        ]
        for method, path, body in rest:
            # her own display name is hers to change; her e-mail and password are not (traced)
            own = actor == "person" and "fullname" in body
            cases.append(Case(actor, "user management", f"{method} {path.split(':')[0]}", method,
                              f"{site}/{path}", "site", json=body, write=method != "GET",
                              effect=effect, allowed=own))  # fmt: skip
        forms = [
            (f"{vault}/@@edit", "vault", {"form.widgets.ged_person_ids": f"GED-{actor}",
                                          "form.widgets.last_name": f"Hostile {actor}",
                                          "form.buttons.save": "Enregistrer"}),
            (f"{site}/@@user-information", "site", {"userid": "alice.martin",
                                                     "form.widgets.email": evil,
                                                     "form.buttons.save": "Enregistrer"}),
            (f"{site}/acl_users/source_users/manage_updateUser", "site",
             {"user_id": "alice.martin", "login_name": f"hostile-{actor}"}),
            (f"{site}/@@usergroup-userprefs", "site",
             {"users.id:records": "alice.martin", "users.email:records": evil,
              "form.button.Modify": "Enregistrer", "form.submitted": "1"}),
            (f"{site}/@@new-user", "site", {"form.widgets.username": "hostile-form",
                                            "form.widgets.email": "f@example.org",
                                            "form.widgets.password": STRONG,
                                            "form.widgets.password_ctl": STRONG,
                                            "form.widgets.groups:list": "Site Administrators",
                                            "form.buttons.register": "Enregistrer"}),
        ]  # fmt: skip
        # the password last: a change that lands is undone by the Zope admin afterwards
        forms.append(
            (
                f"{site}/acl_users/source_users/manage_updateUserPassword",
                "site",
                {"user_id": "alice.martin", "password": STRONG, "confirm": STRONG},
            )
        )
        for url, target, data in forms:
            name = url.rsplit("/", 1)[1]
            # a new staff account is the administrators' job (docs/threat-model.md); what it
            # must not touch is Alice's account, which ``effect`` reads
            allowed = name == "@@new-user" and actor in ADMINS
            for with_token in (False, True):
                sent = dict(data, _authenticator=token) if with_token and token else data
                cases.append(Case(actor, "user management", f"POST {name}"
                                  + (" +token" if with_token else ""), "POST", url, target,
                                  data=sent, write=True, effect=effect,
                                  allowed=allowed))  # fmt: skip
    return cases


def test_every_route_holds_against_every_actor(hostile_site, capsys):
    site, routes = hostile_site
    paths = routes["paths"]

    def url_of(target):
        return f"{site.url}/{paths[target]}".rstrip("/")

    def login_of(actor):
        return ACTORS[actor][0] if ACTORS[actor] else None

    runner = Runner(site.url, routes)
    admin = site.session("admin", "admin")
    fingerprint = owner_fingerprint(site.url, routes, admin)
    try:
        reads, writes, deletes = service_cases(routes, url_of, login_of)
        phases = [
            view_cases(routes, url_of),
            reads,
            vocabulary_cases(routes, url_of),
            namespace_cases(routes, url_of),
            zmi_cases(routes, url_of),
            writes,
            account_cases(
                runner, routes, url_of, login_of, account_effect(site.url, routes, admin)
            ),
            deletes,
        ]
        for cases in phases:
            groups = collections.defaultdict(list)
            for case in cases:
                groups[(case.actor, case.family)].append(case)
            for group in groups.values():
                runner.run_group(group, fingerprint)
    finally:
        runner.close()
        admin.close()
    cases = runner.cases
    enumerated = {
        "views": len({n for names in routes["views"].values() for n in names}),
        "services": len({tuple(s) for pairs in routes["services"].values() for s in pairs}),
        "vocabularies": len(routes["vocabularies"]),
        "namespaces": len(routes["namespaces"]),
        "zmi": sum(len(names) for names in routes["zmi"].values()),
    }
    report = table(cases)
    found = failures(cases)
    with capsys.disabled():
        print("\nroutes enumerated:", enumerated)
        print(report)
        print("\n".join(found))
    assert len(cases) >= MIN_CASES
    assert all(enumerated.values()), enumerated
    assert not found, f"{len(found)} hostile cases not held:\n" + "\n".join(found)
