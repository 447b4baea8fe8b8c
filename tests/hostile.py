"""The hostile suite's machinery (issue 19): actors, cases, the rules, the verdicts.

Every route comes from the registries of the instance (tests/hostile_enumerate.py); this
module only decides *who* tries it, *how* (method, body) and what the answer means:

* **held**: refused (4xx, a redirect to a login form, a login form), or answered within the
  documented rules (the owner reads her vault; the agent mandated by Alice Martin reads her
  shared space with consult, deposits, shares, helps with the account; nobody else reads
  anything of a vault; Plone's harmless pages are fine as long as they carry nobody's data);
* **leak**: a person's data reaches someone the rules exclude (a paper's UID, id or bytes,
  a GED id, a birth date, an e-mail address, other people's logins, a name shown to
  anonymous people), or a write the rules do not give that actor is accepted (2xx);
* **crash**: 5xx, or no answer;
* **half-way**: a group of refused writes after which the owner's view of her vault and
  account (papers, mandates, links, history, identity, e-mail, password) changed.
"""

from dataclasses import dataclass
from dataclasses import field
from urllib.parse import quote
from urllib.parse import unquote
import collections
import hashlib
import re
import requests
import time


DEMO = "demo"
STRONG = "Hostile-Suite-2026!x"
SITE_ADMIN = ("hostile-siteadmin", "Site Administrator")
MANAGER = ("hostile-manager", "Manager")

#: actor -> (login, password); None: anonymous
ACTORS = {
    "anonymous": None,
    "person": ("alice.martin", DEMO),  # owner of every target but bruno_vault
    "other_person": ("bruno.diallo", DEMO),
    "agent_mandated": ("travailleur", DEMO),  # consult, deposit, share, account on Alice
    "agent_ccas": ("accueil", DEMO),  # CCAS agent without a mandate on Alice (opened it)
    "agent_partner": ("partenaire-caf", DEMO),  # CAF agent, mandates on other people only
    "records_manager": ("archiviste", DEMO),
    "ged": ("ged", DEMO),
    "site_admin": (SITE_ADMIN[0], STRONG),
    "manager": (MANAGER[0], STRONG),
    "zope_admin": ("admin", "admin"),
}
AGENTS = {"agent_mandated", "agent_ccas", "agent_partner"}
CCAS_AGENTS = {"agent_mandated", "agent_ccas"}
ADMINS = {"site_admin", "manager", "zope_admin"}
#: who may hold the ZMI and destroy the fixture: their destructive calls are not made
SERVER_LEVEL = {"manager", "zope_admin"}

#: target order: a route registered for several targets is tried on the most sensitive
TARGET_ORDER = (
    "private_paper",
    "vault",
    "private_space",
    "shared_space",
    "mandate",
    "shared_paper",
    "directory",
    "bruno_vault",
    "site",
)
OWNED = {"vault", "private_space", "shared_space", "mandate", "private_paper", "shared_paper"}
SHARED = {"shared_space", "shared_paper", "mandate", "vault"}

#: the vault's own services (the product decides inside: decision 0031)
PRODUCT = {
    "@appointments",
    "@assisted-reset",
    "@certify",
    "@consent",
    "@deposit",
    "@mandate-revoke",
    "@mandate-sign",
    "@mandate-withdraw",
    "@mandates",
    "@replace",
    "@share-links",
    "@vault-closure",
    "@vaults",
    "@ged-letters",
    "@parked-letters",
    "@password-reset",
    "@vault-verify",
    "@workflow-policies",
    "@vault-history",
    "@vault-export",
    "@checklists",
    "@control-report",
}
#: writes made by nobody in this suite (they would end the fixture for everybody after)
NOT_MADE = {
    ("DELETE", "@relations"),
    ("PATCH", "@transactions"),
    ("POST", "@upgrade"),
    ("POST", "@import"),
    ("POST", "@logout"),
    ("POST", "@login"),  # wrong passwords lock accounts (tested by test_bruteforce)
}


@dataclass
class Case:
    actor: str
    family: str
    route: str
    method: str
    url: str
    target: str = "site"
    json: object = None
    data: dict = None
    params: dict = None
    headers: dict = field(default_factory=dict)
    write: bool = False
    allowed: bool = False  # a 2xx write is within the rules
    effect: object = None  # a callable read before and after: a change means the write landed
    verdict: str = ""
    why: str = ""
    status: int = 0


# --- markers: a person's data and who may see it -------------------------------------


def markers(routes):
    """``[(marker, why, actors allowed to see it)]`` from the enumeration's secrets."""
    alice = routes["secrets"]["alice.martin"]
    bruno = routes["secrets"]["bruno.diallo"]
    out = []
    for person, data, owner in ((alice, alice, "person"), (bruno, bruno, "other_person")):
        consult = {owner, "agent_mandated"}  # travailleur consults both shared spaces
        for paper in data["papers"]:
            seen = {owner} if paper["space"] == "private" else consult
            what = f"{paper['space']} paper of {person['name']}"
            # the records manager's control report names papers by opaque ids (docs/api.md)
            out.append((paper["uid"], f"UID of a {what}", seen | {"records_manager"}))
            # ids are random and name nothing (decision 0004): the administrators' undo log
            # and access logs show them; to anyone else they tell the paper exists
            # (and the records manager's control report lists them, by design)
            out.append((paper["id"], f"id of a {what}", seen | ADMINS | {"records_manager"}))
        for ged_id in data["ged_ids"]:
            out.append((ged_id, f"GED id of {person['name']}", {owner, "ged"} | CCAS_AGENTS))
        out.append((data["vault_uid"], f"vault UID of {person['name']}", {owner} | AGENTS))
        if data["email"]:
            out.append(
                (data["email"], f"e-mail of {person['name']}", {owner} | CCAS_AGENTS | ADMINS)
            )
    for born in ("1985-03-12", "12/03/1985", "12 mars 1985"):
        out.append((born, "birth date of Alice Martin", {"person"} | AGENTS))
    for born in ("1979-11-02", "02/11/1979", "2 novembre 1979"):
        out.append((born, "birth date of Bruno Diallo", {"other_person"} | AGENTS))
    for login in ("mbenali", "ngarcia", "jlefebvre", "sroux"):
        out.append((login, "login of an unrelated person (account list)", CCAS_AGENTS | ADMINS))
    everyone_but = set(ACTORS) - {"anonymous", "other_person", "ged"}
    out.append(("Alice Martin", "Alice Martin's name", everyone_but))
    return out


def paper_hashes(routes):
    """sha256 -> (why, actors allowed): the original bytes of every paper."""
    out = {}
    for login, owner in (("alice.martin", "person"), ("bruno.diallo", "other_person")):
        for paper in routes["secrets"][login]["papers"]:
            if paper["sha256"]:
                out[paper["sha256"]] = (f"original bytes of a {paper['space']} paper", {owner})
    return out


BODY_TAG = re.compile(rb"<body[^>]*>")
LOGIN_FORM = re.compile(rb'name="(__ac_password|password|mot_de_passe)"')


def classify(case, answer, routes, marks, hashes):
    """Set ``case.verdict`` / ``case.why`` from the answer.

    In a history, a paper's id may be the URL the actor typed themselves (their own refused
    requests are lines of the history they read): ids count there only as UIDs do elsewhere —
    a history line naming a paper also names its UID.  The Zope admin
    holds the server's root: only crashes count for them (docs/threat-model.md)."""
    if isinstance(answer, Exception):
        case.verdict, case.why = "crash", f"no answer: {type(answer).__name__}"
        return
    case.status = answer.status_code
    if answer.status_code >= 500:
        case.verdict, case.why = "crash", answer.text[:160].replace("\n", " ")
        return
    body = answer.content
    digest = hashlib.sha256(body).hexdigest()
    if digest in hashes and case.actor not in hashes[digest][1]:
        case.verdict, case.why = "leak", hashes[digest][0]
        return
    if case.actor == "zope_admin":
        case.verdict, case.why = "held", "the server's root (no promise but no crash)"
        return
    asked = unquote(case.url + " " + repr(case.params) + " " + repr(case.json) + repr(case.data))
    in_history = "history" in case.route
    text = BODY_TAG.sub(b"", body).decode("utf-8", "replace")
    text = text + " " + " ".join(f"{k}: {v}" for k, v in answer.headers.items())
    for marker, why, allowed in marks:
        if case.actor in allowed or marker in asked or (in_history and why.startswith("id ")):
            continue
        if marker in text:
            case.verdict, case.why = "leak", f"{why} ({marker!r})"
            return
    kind = answer.headers.get("Content-Type", "")
    if (
        case.target == "private_paper"
        and case.actor != "person"
        and answer.status_code == 200
        and kind.startswith(("application/pdf", "image/"))
        and not case.route.endswith(("site-logo", "favicon.ico"))
    ):
        case.verdict, case.why = "leak", f"a private paper's file ({kind})"
        return
    landed = case.write and not case.effect and 200 <= answer.status_code < 300
    if landed and not case.allowed and not LOGIN_FORM.search(body):
        case.verdict, case.why = "leak", f"write accepted ({answer.status_code})"
        return
    case.verdict = "held"
    if answer.status_code < 300:
        case.why = "login form" if LOGIN_FORM.search(body) else "allowed, no one's data"
    else:
        case.why = f"refused {answer.status_code}"


# --- the rules for writes -------------------------------------------------------------


def write_allowed(actor, method, service, target):
    """May ``actor`` write ``service`` on ``target`` under the documented rules?"""
    if target == "site" and actor in ADMINS:
        # administering the site: Plone's own settings, users and groups — not the people's
        # accounts (tried by the targeted cases, which are never "allowed")
        return service not in PRODUCT or service in ("@workflow-policies",)
    if service in ("@lock",) and actor == "person" and target in OWNED:
        return True
    if service == "" and actor == "person" and target in ("private_paper", "private_space"):
        return True  # the owner modifies, deletes, adds papers of her private space
    if service == "@querystring-search":
        return True  # a search (POST), not a write: its answer is checked by the markers
    if service in ("@password-reset", "@vault-verify", "@login-renew"):
        return True  # anonymous routes by design (their answers are checked for data)
    if service == "@ged-letters":
        return actor == "ged"
    if actor == "person" and target in OWNED:
        return service in PRODUCT
    if actor == "agent_mandated" and target in SHARED:
        return service in {
            "@share-links",
            "@assisted-reset",
            "@appointments",
            "@deposit",
            "@mandate-sign",
            "@mandates",
            "@certify",
        }
    if actor in AGENTS and service == "@mandates" and target in {"vault", "bruno_vault"}:
        return True  # an agent proposes a mandate; only the person's signature gives it
    if actor == "other_person" and target == "bruno_vault":
        return service in PRODUCT
    return actor == "records_manager" and service == "@workflow-policies"


def write_body(method, service, routes, base, login):
    """A hostile body for a write: what an attacker would send to that service."""
    paths = routes["paths"]
    private = f"{base}/{paths['private_paper']}"
    alice = routes["secrets"]["alice.martin"]
    bodies = {
        "": {"ged_person_ids": ["GED-1002"], "title": "hostile", "email": "evil@example.org"}
        if method == "PATCH"
        else {"@type": "Document", "title": "hostile"},
        "@sharing": {
            "entries": [
                {
                    "id": login or "AuthenticatedUsers",
                    "type": "user",
                    "roles": {"Reader": True, "Editor": True, "Contributor": True},
                }
            ]
        },
        "@copy": {"source": private},
        "@move": {"source": private},
        "@aliases": {"items": [{"path": "/hostile-alias"}]},
        "@history": {"version": 0},
        "@users": {
            "username": "hostile-new",
            "email": "hostile@example.org",
            "password": STRONG,
            "roles": ["Manager"],
        },
        "@groups": {"groupname": "hostile-group", "roles": ["Manager"]},
        "@registry": {"plone.site_title": "hostile"},
        "@mandates": {
            "agents": [login or "travailleur"],
            "scopes": ["consult", "extract"],
            "purpose": "hostile",
            "submit": True,
        },
        "@share-links": {
            "documents": [alice["papers"][0]["uid"]],
            "recipient": "hostile",
            "duration": "7d",
        },
        "@assisted-reset": {"delivery": "print"},
        "@parked-letters": {"vault": alice["vault_uid"]},
        "@workflow-policies": {},
        "@vaults": {"first_name": "Hostile", "last_name": "Case", "birth_date": "1990-01-01"},
    }
    return bodies.get(service, {})


# --- running --------------------------------------------------------------------------


class Runner:
    def __init__(self, base, routes):
        self.base = base
        self.routes = routes
        self.marks = markers(routes)
        self.hashes = paper_hashes(routes)
        self.sessions = {}
        self.cases = []

    def session(self, actor):
        if actor not in self.sessions:
            session = requests.Session()
            if ACTORS[actor]:
                session.auth = ACTORS[actor]
            self.sessions[actor] = session
        return self.sessions[actor]

    def close(self):
        for session in self.sessions.values():
            session.close()

    def send(self, case):
        # JSON answers are what scripts get (and quick); the HTML pass is a browser's view
        headers = {"Accept": "text/html" if "HTML" in case.family else "application/json"}
        headers.update(case.headers)
        try:
            answer = self.session(case.actor).request(
                case.method,
                case.url,
                json=case.json,
                data=case.data,
                params=case.params,
                headers=headers,
                allow_redirects=False,
                timeout=60,
            )
        except requests.RequestException as error:
            answer = error
        classify(case, answer, self.routes, self.marks, self.hashes)
        self.cases.append(case)
        return answer

    def send_with_effect(self, case):
        """A form or account write: the verdict is what it changed, not its status."""
        before = case.effect()
        self.send(case)
        after = case.effect()
        # only Alice herself may change her account (her display name: the targeted cases)
        if (
            case.verdict == "held"
            and after != before
            and not (case.allowed and case.actor == "person")
        ):
            changed = sorted(k for k in before if before[k] != after.get(k))
            case.verdict = "leak"
            case.why = f"the write landed: {', '.join(changed)} changed"
        if after.get("alice logs in") != 200:
            case.effect.restore()

    def run_group(self, cases, fingerprint):
        """Run ``cases`` (one actor, one family); writes are bracketed by the fingerprint."""
        writes = [case for case in cases if case.write]
        before = fingerprint() if writes else None
        for case in cases:
            if case.effect:
                self.send_with_effect(case)
            else:
                self.send(case)
        if writes:
            after = fingerprint()
            if after != before and not any(
                # an allowed write that went through (2xx, or a form's redirect) explains it
                case.verdict != "held" or (case.status < 400 and case.allowed)
                for case in writes
            ):
                changed = sorted(
                    k for k in set(before) | set(after) if before.get(k) != after.get(k)
                )
                for case in writes:
                    if case.status >= 300:
                        case.verdict = "half-way"
                        case.why = f"refused, yet the owner's view changed: {', '.join(changed)}"


def owner_fingerprint(base, routes, zope_admin):
    """What Alice Martin sees of her vault and account (and the site's account list)."""
    paths = routes["paths"]
    alice = requests.Session()
    alice.auth = ("alice.martin", DEMO)
    alice.headers["Accept"] = "application/json"

    def read(session, url):
        try:
            answer = session.get(url, timeout=60)
        except requests.RequestException as error:
            return {"error": type(error).__name__}
        return answer.json() if answer.status_code == 200 else {"status": answer.status_code}

    def fingerprint():
        vault = read(alice, f"{base}/{paths['vault']}")
        out = {
            f"vault.{key}": repr(vault.get(key))
            for key in (
                "ged_person_ids",
                "first_name",
                "last_name",
                "birth_date",
                "email",
                "phone",
                "status",
            )
        }
        for space in ("private_space", "shared_space"):
            listing = read(alice, f"{base}/{paths[space]}")
            out[space] = repr(sorted(item.get("@id") for item in listing.get("items", [])))
        for service in ("@mandates", "@share-links"):
            listing = read(alice, f"{base}/{paths['vault']}/{service}")
            out[service] = repr(
                sorted(
                    (item.get("@id"), item.get("review_state")) for item in listing.get("items", [])
                )
            )
        history = read(alice, f"{base}/{paths['vault']}/@vault-history")
        out["history"] = repr(
            [
                item.get("action")
                for item in history.get("items", [])
                if "refus" not in (item.get("action") or "")
            ]
        )
        account = read(zope_admin, f"{base}/@users/alice.martin")
        out["account"] = repr({k: account.get(k) for k in ("email", "fullname", "roles")})
        users = read(zope_admin, f"{base}/@users")
        if isinstance(users, dict) and "items" in users:
            users = users["items"]  # plone.restapi batches the list
        # the accounts that exist (their groups and properties are the targeted cases' effect)
        out["accounts"] = repr(
            sorted(u.get("id") for u in users) if isinstance(users, list) else users
        )
        return out

    return fingerprint


# --- the report -----------------------------------------------------------------------


VERDICTS = ("held", "leak", "crash", "half-way")


def table(cases):
    """``actor × family → held/leak/crash/half-way`` and the totals, as text."""
    counts = collections.Counter((c.actor, c.family, c.verdict) for c in cases)
    families = sorted({c.family for c in cases})
    actors = [a for a in ACTORS if any(c.actor == a for c in cases)]
    width = max(len(f) for f in families) + 2
    lines = ["actor".ljust(16) + "".join(f.ljust(width) for f in families)]
    for actor in actors:
        row = actor.ljust(16)
        for family in families:
            cell = "/".join(str(counts[(actor, family, v)]) for v in VERDICTS)
            row += cell.ljust(width)
        lines.append(row)
    totals = collections.Counter(c.verdict for c in cases)
    lines.append("cells: held/leak/crash/half-way")
    lines.append("totals: " + ", ".join(f"{v} {totals[v]}" for v in VERDICTS) + f" ({len(cases)})")
    return "\n".join(lines)


def failures(cases):
    return [
        f"{c.verdict}: {c.method} {c.route} on {c.target} as {c.actor} -> {c.status}: {c.why}"
        for c in cases
        if c.verdict != "held"
    ]


def quoted(name):
    return quote(name, safe="@+:")


def wait(seconds):
    time.sleep(seconds)


def account_effect(base, routes, zope_admin):
    """Alice Martin's account and identity as the Zope admin and she herself read them."""
    vault = f"{base}/{routes['paths']['vault']}"
    alice = requests.Session()
    alice.auth = ("alice.martin", DEMO)
    alice.headers["Accept"] = "application/json"

    def effect():
        out = {}
        account = zope_admin.get(f"{base}/@users/alice.martin", timeout=60)
        data = account.json() if account.status_code == 200 else {}
        for key in ("email", "fullname", "username", "location", "roles"):
            out[f"account.{key}"] = repr(data.get(key))
        own = alice.get(vault, timeout=60)
        out["alice logs in"] = own.status_code
        data = own.json() if own.status_code == 200 else {}
        for key in ("ged_person_ids", "last_name", "email"):
            out[f"vault.{key}"] = repr(data.get(key))
        return out

    def restore():
        """Give Alice her demo password back (a landed takeover must not hide the next)."""
        zope_admin.patch(f"{base}/@users/alice.martin", json={"password": DEMO}, timeout=60)

    effect.restore = restore
    return effect
