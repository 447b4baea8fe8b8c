"""The skin still works under its Content-Security-Policy, in a real Chromium (decision 0026).

A person logs in on a phone and opens every page of the skin; the browser reports no
CSP violation (console nor ``securitypolicyviolation`` event), the pages keep their style
sheet and their scripts, and stay accessible (axe-core, no serious violation).  A script
injected into a page is blocked.
"""

from public_skin import browser_login
from public_skin import check_page
from public_skin import phone
from public_skin import skin
from vaults import active_mandate
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
import pytest
import transaction


pytestmark = pytest.mark.slow

PAGES = [
    "papiers",
    "ajouter",
    "papier/{uid}",
    "partager",
    "partages",
    "acces",
    "historique",
    "dossiers",
    "compte",
    "fermer",
    "rendez-vous",
]
WATCH = """() => {
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation",
    (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
}"""


@pytest.fixture
def vault(functional_portal, frozen):
    make_agent("accueil")
    vault = consent_as_owner(open_vault_as("accueil", "jdupont"))
    active_mandate(vault, agents=("accueil",), scopes=("consult",))
    deposit_as("jdupont", vault["partage"], title="Attestation CAF")
    transaction.commit()
    return vault


def csp_messages(messages):
    return [m for m in messages if "Content Security Policy" in m or "Refused to" in m]


def test_every_skin_page_works_under_the_policy(vault, functional_portal):
    uid = vault["partage"].objectValues()[0].UID()
    with phone(functional_portal) as page:
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        page.add_init_script(WATCH.join(["(", ")()"]))
        answer = page.goto(skin(functional_portal, "connexion"))
        assert "default-src 'self'" in answer.headers["content-security-policy"]
        browser_login(page, functional_portal, "jdupont")
        visited = 0
        for name in PAGES:
            answer = page.goto(skin(functional_portal, name.format(uid=uid)))
            assert answer.status == 200, name
            page.wait_for_load_state("load")
            assert page.evaluate("window.__cspViolations") == [], name
            # the style sheet applies: the body is not the browser's default serif
            font = page.evaluate("getComputedStyle(document.body).fontFamily")
            assert font.strip().lower() != "serif", name
            visited += 1
        assert visited == len(PAGES)
        assert csp_messages(messages) == []
        page.goto(skin(functional_portal, "papiers"))
        check_page(page, "csp-papiers")


def test_an_injected_script_is_blocked(vault, functional_portal):
    with phone(functional_portal) as page:
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        page.goto(skin(functional_portal, "connexion"))
        # what an injection would do: add an inline script the policy does not know
        page.evaluate(
            """() => { const s = document.createElement("script");
                       s.textContent = "window.__pwned = true;";
                       document.body.appendChild(s); }"""
        )
        assert page.evaluate("window.__pwned === undefined")
        assert csp_messages(messages), "the browser must report the blocked script"


def test_a_refused_form_still_moves_the_focus(vault, functional_portal):
    """The inline focus script of a refused form is allowed by its hash."""
    with phone(functional_portal) as page:
        messages = []
        page.on("console", lambda message: messages.append(message.text))
        browser_login(page, functional_portal, "jdupont")
        page.goto(skin(functional_portal, "partager"))
        page.click("form button[type=submit]")
        page.wait_for_load_state("load")
        assert csp_messages(messages) == []
        focused = page.evaluate("document.activeElement.getAttribute('aria-invalid')")
        assert focused == "true"
