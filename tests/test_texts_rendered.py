"""Every page the demo's people and agents reach says things in good French (issue 20, item 5).

On ``real_site`` (the instance ``make start`` builds), each demo account walks the pages
it can reach from its first page (links followed within the site, GET only, no logout,
no downloads): the add-on's templates (``src/ccas/vault/**/*.pt``) rendered as those
people see them. No page holds an unrendered ``${…}`` placeholder, and the French
sentences pass a list of known agreement and elision mistakes (``1 papiers``,
``le Administration``, ``de Orléans``…). The same list runs over the French catalog's
sentences, their ``${…}`` filled with typical values. The templates' own messages name
every ``${…}`` they hold (``i18n:name``).

Also here: the person prints their welcome sheet again from "Mon compte", and the
refusal page speaks French.
"""

from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from urllib.parse import urldefrag
from urllib.parse import urljoin
from urllib.parse import urlsplit
import pytest
import re
import requests


pytestmark = pytest.mark.slow

PACKAGE = Path(__file__).parents[1] / "src" / "ccas" / "vault"
FR_CATALOG = PACKAGE / "locales" / "fr" / "LC_MESSAGES" / "ccas.vault.po"
PERSONS = ("alice.martin", "bruno.diallo")
AGENTS = ("accueil", "travailleur", "partenaire-caf", "archiviste")
PASSWORD = "demo"
MAX_PAGES = 80  # per account: the crawl stays under a minute or two

#: words that end in s in the singular ("1 fois", "1 mois")
INVARIABLE = {
    "fois", "mois", "temps", "cas", "avis", "accès", "pas", "corps", "prix", "refus", "jus",
    "dos", "repas", "relais", "propos", "tapis", "os", "bus", "virus", "bonus", "plus", "sus",
}  # fmt: skip
VOWEL = "AEIOUYÀÂÉÈÊÎÔÛaeiouyàâéèêîôû"
#: (name, pattern) of known mistakes in French sentences
MISTAKES = (
    ("a plural after 1", re.compile(r"(?<![\d,.])\b1 ([a-zéèêàç]+s)\b")),
    # an article (not the pronoun of "ouvrez-le avec elle") before a vowel
    ("no elision after le/la", re.compile(rf"(?<![-\w])[Ll][ea] [{VOWEL}][a-zéèêàç]")),
    ("no elision after de", re.compile(rf"(?<![-\w])[Dd]e [{VOWEL}][\w.]")),
    ("no elision after que/je/ne/se", re.compile(rf"\b(?:[Qq]ue|[Jj]e|[Nn]e|[Ss]e) [{VOWEL}]\w")),
    ("si il", re.compile(r"\b[Ss]i ils?\b")),
    ("CCAS twice", re.compile(r"CCAS de CCAS")),
)
#: only in whole sentences (the catalog): on a page, two buttons side by side say it twice
TWICE = ("a word twice", re.compile(r"\b(?!vous\b|nous\b)(\w{2,}) \1\b"))
#: messages whose count is never 1 (the code picks another message, or a constant ≥ 2)
NEVER_ONE = {
    "${recipient} opened your link and downloaded ${count} papers.",  # history.py: ≥ 2
    "Too many photos. Send ${max} photos at most.",  # papers.MAX_PHOTOS
    "${count} papers",  # public/history.py: "1 paper" for one
    "Then you have ${days} days to change your mind.",  # fermer.pt: another for 1 day
}
SKIP = re.compile(
    r"/(?:deconnexion|logout|logged[-_]out|login|require_login|mail_password|"
    r"contact-info|sitemap|accessibility-info|search|@@search|folder_contents)\b"
    r"|@@(?:download|print|display-file|images|preview|feuille-accueil)|/@@?[a-z-]*csv"
    r"|\+\+(?:resource|plone|theme|unique)\+\+|/portal_|/manage|/langue\b|\.(?:pdf|png|jpe?g|css|js|ico|svg)$"
    r"|/feuille-accueil|[?&](?:code|came_from)=|/@@?(?:edit|delete|rename|copy|cut|paste)"
)


def mistakes(text, patterns=MISTAKES):
    """``[(name, the words around)]`` of the known mistakes in ``text``."""
    found = []
    for name, pattern in patterns:
        for match in pattern.finditer(text):
            if name == "a plural after 1" and match.group(1) in INVARIABLE:
                continue
            around = text[max(0, match.start() - 30) : match.end() + 30]
            found.append((name, " ".join(around.split())))
    return found


class Page(HTMLParser):
    """The visible text and the links of an HTML page (scripts and styles left out)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._skip += 1
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("alt", "title", "aria-label", "placeholder", "value"):
            if attrs.get(name) and not (tag == "input" and attrs.get("type") == "hidden"):
                self.text.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(html):
    page = Page()
    page.feed(html)
    return " ".join(" ".join(page.text).split()), page.links


def skin_session(site, login):
    session = requests.Session()
    answer = session.post(
        f"{site.url}/mon-coffre/connexion",
        data={"__ac_name": login, "__ac_password": PASSWORD, "form.submitted": "1"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303, answer.text[:500]
    return session


def staff_session(site, login):
    session = requests.Session()
    session.auth = (login, PASSWORD)
    return session


def crawl(site, session, start):
    """``{url: (status, visible text)}`` of the HTML pages reached from ``start``."""
    host = urlsplit(site.url).netloc
    seen, queue, pages = set(), list(start), {}
    while queue and len(pages) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0]
        if url in seen:
            continue
        seen.add(url)
        answer = session.get(url, timeout=60)
        if "text/html" not in answer.headers.get("Content-Type", ""):
            continue
        text, links = parse(answer.text)
        pages[answer.url] = (answer.status_code, text, answer.text)
        for link in links:
            target = urldefrag(urljoin(answer.url, link))[0]
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != host:
                continue
            if not parts.path.startswith(urlsplit(site.url).path) or SKIP.search(target):
                continue
            if target not in seen:
                queue.append(target)
    return pages


@pytest.fixture(scope="module")
def crawled(real_site):
    site = real_site
    results = {}
    for login in PERSONS:
        results[login] = crawl(
            site,
            skin_session(site, login),
            [f"{site.url}/mon-coffre/{name}" for name in ("papiers", "compte", "ajouter")],
        )
    anonymous = requests.Session()
    results["anonymous"] = crawl(
        site,
        anonymous,
        [
            f"{site.url}",
            f"{site.url}/mon-coffre/connexion",
            f"{site.url}/mon-coffre/mot-de-passe-oublie",
            f"{site.url}/mon-coffre/mot-de-passe-oublie?moyen=email",
            f"{site.url}/mon-coffre/mot-de-passe-oublie?moyen=questions",
            f"{site.url}/mon-coffre/nouveau-mot-de-passe",
            f"{site.url}/mon-coffre/ouvrir",
        ],
    )
    for login in AGENTS:
        results[login] = crawl(
            site, staff_session(site, login), [f"{site.url}/@@accueil-agent", f"{site.url}"]
        )
    return results


def test_the_crawl_reaches_the_pages_of_everyone(crawled):
    counts = {login: len(pages) for login, pages in crawled.items()}
    print(f"\n[crawl] pages per account: {counts}")
    skin = {url for pages in crawled.values() for url in pages if "/mon-coffre/" in url}
    names = {urlsplit(url).path.split("/mon-coffre/")[1].split("/")[0] for url in skin}
    for name in ("papiers", "ajouter", "papier", "partages", "partager", "acces", "rendez-vous",
                 "historique", "dossiers", "compte", "fermer", "connexion"):  # fmt: skip
        assert name in names, sorted(names)
    agent_pages = [url for url in crawled["travailleur"] if "/coffres/" in url]
    assert agent_pages, sorted(crawled["travailleur"])


def test_no_page_holds_an_unrendered_placeholder(crawled):
    found = [
        (login, url, text[max(0, text.index("${") - 40) : text.index("${") + 40])
        for login, pages in crawled.items()
        for url, (_status, text, _html) in pages.items()
        if "${" in text
    ]
    assert found == []


def test_the_french_of_every_page(crawled):
    found = sorted(
        {
            (name, words, url.split("/ccas", 1)[-1])
            for pages in crawled.values()
            for url, (_status, text, _html) in pages.items()
            for name, words in mistakes(text)
        }
    )
    assert found == [], "\n".join(map(str, found))


TYPICAL = {
    "count": "1",
    "n": "1",
    "number": "1",
    "days": "1",
    "max": "1",
    "title": "Carte d'identité",
    "name": "Alice Martin",
    "label": "Attestation CAF",
    "date": "23/11/2026",
    "day": "23 novembre 2026",
    "who": "Claire Agent",
    "recipient": "CAF de Démoville",
    "organisation": "CAF de Démoville",
    "city": "Orléans",
}


def test_the_french_catalog_filled_with_one_and_a_town():
    """Each French sentence, ``${x}`` filled with 1 (counts) or a name: no known mistake.

    Sentences with a count must have a singular form (a separate message, or words that
    agree with any number): "1 papiers" is caught here."""
    found = []
    from ccas.vault.scripts.i18n import read_catalog

    for msgid, msgstr in read_catalog(FR_CATALOG).items():
        if not msgstr or msgid in NEVER_ONE:
            continue
        text = re.sub(r"\$\{(\w+)\}", lambda m: TYPICAL.get(m.group(1), "Martin"), msgstr)
        text = re.sub(r"\bN\b", "1", text) if msgid.startswith("1 ") else text
        found += [(msgid, name, words) for name, words in mistakes(text, (*MISTAKES, TWICE))]
    assert found == [], "\n".join(map(str, found))


def test_every_template_names_its_placeholders():
    """An ``i18n:translate="… ${x} …"`` holds an ``i18n:name="x"`` for each ``${x}``."""
    problems = []
    translate = re.compile(r'i18n:translate="([^"]*\$\{[^"]*)"')
    for template in sorted(PACKAGE.rglob("*.pt")):
        source = template.read_text(encoding="utf-8")
        for match in translate.finditer(source):
            names = set(re.findall(r"\$\{(\w+)\}", match.group(1)))
            # the element's content: up to the next i18n:translate or 2000 characters
            rest = source[match.end() : match.end() + 2000]
            given = set(re.findall(r'i18n:name="(\w+)"', rest))
            if names - given:
                problems.append((template.relative_to(PACKAGE), sorted(names - given)))
    assert problems == []


def test_a_person_prints_the_welcome_sheet_again_from_my_account(real_site):
    from pypdf import PdfReader

    site = real_site
    session = skin_session(site, "bruno.diallo")
    account = session.get(f"{site.url}/mon-coffre/compte", timeout=60)
    assert "Imprimer ma feuille d'accueil" in account.text
    sheet = session.get(f"{site.url}/mon-coffre/feuille-accueil", timeout=60)
    assert sheet.status_code == 200
    assert sheet.headers["Content-Type"] == "application/pdf"
    assert "no-store" in sheet.headers["Cache-Control"]
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(sheet.content)).pages)
    text = " ".join(text.split())
    assert "bruno.diallo" in text and "/mon-coffre" in text
    assert "CCAS de Démoville" in text
    assert "Votre mot de passe, c'est vous qui l'avez choisi" in text
    assert f" {PASSWORD} " not in f" {text} "
    # someone else's: the page is the logged-in person's own sheet, never another's
    assert requests.get(f"{site.url}/mon-coffre/feuille-accueil", timeout=60).url.endswith(
        "/mon-coffre/connexion?came_from="
        + requests.utils.quote(f"{site.url}/mon-coffre/feuille-accueil", safe="")
    )


def test_the_refusal_page_speaks_french(real_site):
    site = real_site
    page = staff_session(site, "partenaire-caf").get(
        f"{site.url}/insufficient-privileges", timeout=60
    )
    text, _links = parse(page.text)
    assert "contactez l'administration du site" in text, text[:2000]
    assert "le Administration" not in text
