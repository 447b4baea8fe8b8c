"""The first page of the shipped instance (decision 0033), in Chromium at ``127.0.0.1``.

``make start``'s instance (the ``real_site`` fixture: ``ccas-vault-instance init``,
``site --demo``, ``runwsgi``) opened at the address ``runwsgi`` listens on: the
anonymous visitor sees the landing page, the person reaches their papers from it on a
phone, the agent reaches "Mon accueil" through Plone's login form — and each page's
stylesheet is applied (computed styles, not only answers): Plone leaves 127.0.0.1
unthemed by default.
"""

from public_skin import phone
import pytest


pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
#: the public skin's main colour (src/ccas/vault/browser/public/static/style.css: #0b4f8a)
SKIN_BLUE = "rgb(11, 79, 138)"
TRANSPARENT = "rgba(0, 0, 0, 0)"


def style(page, selector, prop):
    return page.eval_on_selector(
        selector, f"(element) => getComputedStyle(element).getPropertyValue('{prop}')"
    )


def stylesheets(page):
    """The URLs of the page's stylesheets the browser loaded and parsed."""
    return page.evaluate(
        "() => [...document.styleSheets].filter(s => s.href && s.cssRules.length).map(s => s.href)"
    )


def test_an_anonymous_visitor_opens_the_root_and_sees_the_landing_page(real_site):
    assert real_site.url.startswith("http://127.0.0.1:")
    with phone(viewport=DESKTOP) as page:
        for address in (real_site.url, f"{real_site.url}/"):
            answer = page.goto(address)
            assert answer.status == 200, real_site.log()
            assert page.url == address
            assert page.inner_text("h1") == "Le coffre-fort numérique du CCAS"
            button = page.locator("#first-page-safe")
            assert button.inner_text().strip() == "J'ai un coffre-fort numérique"
            assert button.get_attribute("href") == f"{real_site.url}/mon-coffre"
            assert style(page, "#first-page-safe", "background-color") == SKIN_BLUE
            assert int(float(style(page, "#first-page-safe", "min-height")[:-2])) >= 44
            staff = page.locator("#first-page-staff")
            assert staff.inner_text() == "Personnel du CCAS : se connecter"
            assert staff.get_attribute("href") == f"{real_site.url}/login"


def test_the_landing_page_fits_a_phone_screen_and_passes_axe(real_site):
    from axe_playwright_python.sync_playwright import Axe

    with phone(viewport=PHONE) as page:
        page.goto(real_site.url)
        assert page.locator("header.top").bounding_box()["y"] == 0  # nothing above the bar
        button = page.locator("#first-page-safe").bounding_box()
        assert button["y"] + button["height"] <= PHONE["height"]  # on the first screen
        assert page.locator("#first-page-staff").bounding_box()["y"] <= PHONE["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        violations = Axe().run(page).response["violations"]
        serious = [v["id"] for v in violations if v.get("impact") in ("serious", "critical")]
        assert serious == []


def test_a_person_on_a_phone_goes_from_the_root_to_their_papers(real_site):
    with phone(viewport=PHONE) as page:
        page.goto(real_site.url)
        page.click("#first-page-safe")
        page.wait_for_url(f"{real_site.url}/mon-coffre/connexion")
        page.fill("#login", "alice.martin")
        page.fill("#password", "demo")
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{real_site.url}/mon-coffre/papiers")
        # back at the root, logged in: straight to the papers, in the skin's style
        page.goto(real_site.url)
        assert page.url == f"{real_site.url}/mon-coffre/papiers"
        assert style(page, "header.top", "background-color") == SKIN_BLUE
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_agent_logs_in_through_plones_form_and_lands_on_my_home(real_site):
    with phone(viewport=DESKTOP) as page:
        page.goto(real_site.url)
        page.click("#first-page-staff")
        page.wait_for_url(f"{real_site.url}/login")
        # Plone's own page, themed on 127.0.0.1 too
        assert any("++theme++barceloneta/css/barceloneta.min.css" in s for s in stylesheets(page))
        button = "#buttons-login"
        primary = style(page, button, "background-color")
        assert primary not in (TRANSPARENT, "")
        page.fill("#__ac_name", "accueil")
        page.fill("#__ac_password", "demo")
        page.click(button)
        page.wait_for_url(f"{real_site.url}/@@accueil-agent")
        assert page.inner_text("h1") == "Mon accueil", real_site.log()
        assert any("barceloneta.min.css" in s for s in stylesheets(page))
        assert style(page, "#home-open-link", "background-color") == primary
        assert style(page, "#home-open-link", "text-decoration-line") == "none"
        # the root itself now sends the agent back to "Mon accueil"
        page.goto(real_site.url)
        assert page.url == f"{real_site.url}/@@accueil-agent"
