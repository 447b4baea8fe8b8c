"""What the journey tests share: Debian's Chromium, a phone and a desktop, the two logins.

The journeys (``test_journeys_*.py``) walk DESIGN §6 on a real instance
(``real_site``): the person on a 390×844 phone through ``/mon-coffre``, the
agents on a 1280×900 desktop through Plone's login form.  Every helper acts as
the person or agent would: a page, a field, a button.
"""

from ccas.vault.browser.public.owner_pages import MONTHS_FR
from datetime import datetime
from servers import CHROMIUM
from servers import CHROMIUM_ARGS
from zoneinfo import ZoneInfo
import contextlib
import pytest
import time


PARIS = ZoneInfo("Europe/Paris")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: the demo's password, for its people and agents (``ccas-vault-instance site --demo``)
PASSWORD = "demo"
#: seconds a step waits for a page or an element before the journey fails
STEP_TIMEOUT = 60000


@pytest.fixture
def stopwatch(request, capsys):
    """Print the journey's wall-clock duration, even under ``-q`` (for the closing notes)."""
    start = time.monotonic()
    yield
    with capsys.disabled():
        print(f"\n[journey timing] {request.node.name}: {time.monotonic() - start:.1f} s")


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser():
    """:func:`chromium` for the length of one test."""
    with chromium() as launched:
        yield launched


def new_page(browser, viewport, **options):
    """A page in a fresh browser context (its own cookies), in French."""
    context = browser.new_context(viewport=viewport, locale="fr-FR", **options)
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT)
    return page


def phone(browser):
    """The person's phone: a 390×844 touch screen; downloads kept."""
    return new_page(browser, PHONE, has_touch=True, is_mobile=True, accept_downloads=True)


def desktop(browser):
    """An agent's desktop: 1280×900; downloads kept."""
    return new_page(browser, DESKTOP, accept_downloads=True)


def person_login(page, site, login, password=PASSWORD):
    """The skin's login form (``/mon-coffre/connexion``); ``True`` when it let the person in."""
    page.goto(f"{site.url}/mon-coffre/connexion")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_load_state()
    return "/connexion" not in page.url


def staff_login(page, site, login, password=PASSWORD):
    """An agent logs in through Plone's login form (``/ccas/login``)."""
    page.goto(f"{site.url}/login")
    page.fill("#__ac_name", login)
    page.fill("#__ac_password", password)
    page.click("#buttons-login")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.inner_text("body")[:500]


def text_of(where, selector=None):
    """What one reads in ``where`` (a page: its ``main``; a locator) or in ``selector``
    inside it, on one line: runs of white space (non-breaking ones too) as one space."""
    if selector is None and hasattr(where, "goto"):
        selector = "main"
    found = where.locator(selector) if selector else where
    return " ".join(found.inner_text().split())


def today():
    """Today in Paris (the product's calendar)."""
    return datetime.now(PARIS).date()


def words(day):
    """``14 décembre 2026``, as the pages write a date."""
    return f"{day.day} {MONTHS_FR[day.month - 1]} {day.year}"
