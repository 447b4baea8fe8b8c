"""Helpers for the tests of the beneficiary's skin (``/mon-coffre``), shared by every page.

HTTP (``requests``, against the functional layer's WSGI server)::

    session = skin_session(functional_portal, "jdupont")   # logged in through /mon-coffre/connexion
    page = session.get(skin(functional_portal, "papiers"))
    token = form_token(page.text)                          # the _authenticator of the page's form

Chromium (Playwright) on a 360×740 phone, axe-core and screenshots::

    with phone(functional_portal) as page:                  # a logged-out phone page
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "papiers"))
        check_page(page, "mes-papiers")                     # axe: 0 serious/critical + screenshot

Screenshots land in ``tests/screenshots/<name>.png`` (ignored by git, kept by CI).
"""

from pathlib import Path
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from vaults import PASSWORD
import contextlib
import re
import requests


SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {"width": 360, "height": 740}
SERIOUS = ("serious", "critical")


def skin(portal, name="", **query):
    """The address of ``/mon-coffre/<name>`` on the server of ``portal``."""
    url = f"{portal.absolute_url()}/mon-coffre" + (f"/{name}" if name else "")
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query, doseq=True)
    return url


def form_token(html):
    match = re.search(r'name="_authenticator" value="([^"]+)"', html)
    return match.group(1) if match else ""


def skin_session(portal, login=None, password=PASSWORD, language=None):
    """A ``requests.Session``; logged in through the skin's own form when ``login`` is given."""
    session = requests.Session()
    if language:
        session.cookies.set("I18N_LANGUAGE", language)
    if login:
        answer = session.post(
            skin(portal, "connexion"),
            data={"__ac_name": login, "__ac_password": password, "form.submitted": "1"},
            timeout=60,
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text[:500]
    return session


# --- Chromium -----------------------------------------------------------------------------


@contextlib.contextmanager
def phone(portal=None, viewport=PHONE, **context_options):
    """A Playwright page in Debian's Chromium, on a phone-sized viewport."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport=viewport, locale="fr-FR", has_touch=True, **context_options
            )
            page = context.new_page()
            page.set_default_timeout(30000)
            yield page
        finally:
            browser.close()


def browser_login(page, portal, login, password=PASSWORD):
    page.goto(skin(portal, "connexion"))
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    assert "/connexion" not in page.url, page.content()[:1000]


def serious_violations(page):
    """axe-core's violations of impact serious or critical, as short strings."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{item['id']} ({item['impact']}): "
        + "; ".join(node["target"][0] if node.get("target") else "?" for node in item["nodes"])
        for item in results.response["violations"]
        if item.get("impact") in SERIOUS
    ]


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def check_page(page, name, max_width=PHONE["width"]):
    """Screenshot, then: no horizontal scrolling, 0 serious/critical axe violation."""
    screenshot(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= max_width, f"{name}: {width}px wide"
    violations = serious_violations(page)
    assert violations == [], f"{name}: {violations}"
