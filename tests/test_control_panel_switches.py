"""Every switch of every control panel turns on and off in Chromium (issue 20, item 6).

On the shipped product (``real_site``: ``ccas-vault-instance init/site --demo`` and
``runwsgi``), the demo's records manager (``archiviste``) opens each of the add-on's
control panels on a desktop, flips each checkbox, saves with the panel's own button,
reloads the page and finds the new state; then flips it back the same way.  A required
``Bool`` renders a checkbox the browser refuses to submit unticked ("Please check this
box"): the save does not happen and the reload shows the old state.

The workflow policies save in two steps (preview, then apply): a switch is turned by
previewing the change and applying it.
"""

from journeys import desktop
from journeys import staff_login
import pytest


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

RECORDS_MANAGER = "archiviste"
#: listing page -> whether its rows have "Modifier" links to edit forms (z3c.form)
LISTINGS = ("@@ccas-document-types", "@@ccas-organisations", "@@ccas-checklists")


def switches(page, form):
    """The ids of the checkboxes of ``form`` (a CSS selector), in page order."""
    boxes = page.locator(f"{form} input[type=checkbox]")
    return [boxes.nth(i).get_attribute("id") for i in range(boxes.count())]


def save_z3c(page):
    with page.expect_navigation():
        page.click("#form-buttons-save")


def reveal(page, box_id):
    """Open the tab holding ``box_id`` (a panel's fieldsets are tabs), as a user would."""
    box = page.locator(f"#{box_id}")
    if not box.is_visible():
        legend = page.locator(f"fieldset:has(#{box_id}) > legend").first.inner_text().strip()
        page.locator("nav.autotoc-nav a", has_text=legend).first.click()
        box.wait_for(state="visible")
    return box


def flip(page, url, form, box_id, save):
    """Flip ``box_id`` on ``url``, save, reload: the new state must be shown."""
    page.goto(url)
    box = reveal(page, box_id)
    before = box.is_checked()
    box.set_checked(not before)
    save(page)
    page.goto(url)
    after = page.locator(f"#{box_id}").is_checked()
    assert after is (not before), f"{url} #{box_id}: still {before} after saving"
    return before


def flip_there_and_back(page, url, form, save):
    page.goto(url)
    found = switches(page, form)
    for box_id in found:
        assert box_id, f"a checkbox without id on {url}"
        before = flip(page, url, form, box_id, save)
        again = flip(page, url, form, box_id, save)
        assert again is (not before)
    return found


def edit_urls(page, site, listing):
    page.goto(f"{site.url}/{listing}")
    links = page.get_by_role("link", name="Modifier")
    urls = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert urls, f"no row to edit on {listing}"
    return urls


def test_the_ccas_settings_switches_turn_on_and_off_and_the_public_page_follows(real_site, browser):
    site = real_site
    page = desktop(browser)
    staff_login(page, site, RECORDS_MANAGER)
    url = f"{site.url}/@@ccas-settings"
    page.goto(url)
    found = switches(page, "form#form")
    assert "form-widgets-self_service_opening-0" in found, found
    assert flip_there_and_back(page, url, "form#form", save_z3c)
    # On, the person's opening form is there; off, the page sends the person to the CCAS.
    box = "form-widgets-self_service_opening-0"
    person = desktop(browser)
    for wanted in (True, False):
        page.goto(url)
        reveal(page, box).set_checked(wanted)
        save_z3c(page)
        person.goto(f"{site.url}/mon-coffre/ouvrir")
        has_form = person.locator("main form input[type=password]").count() > 0
        assert has_form is wanted, person.inner_text("main")[:500]


@pytest.mark.parametrize("listing", LISTINGS)
def test_every_switch_of_every_edit_form_turns_on_and_off(real_site, browser, listing):
    site = real_site
    page = desktop(browser)
    staff_login(page, site, RECORDS_MANAGER)
    flipped = 0
    for url in edit_urls(page, site, listing)[:3]:  # three rows: the same form each time
        flipped += len(flip_there_and_back(page, url, "form#form", save_z3c))
        flipped += disable_and_enable(page, url)
    assert flipped >= 3


def disable_and_enable(page, url):
    """The "Désactiver" / "Activer" buttons of an entry: the listing and the form follow."""
    page.goto(url)
    assert page.locator("#form-buttons-enable").count() == 0, f"{url} starts disabled"
    with page.expect_navigation():
        page.click("#form-buttons-disable")
    page.goto(url)
    assert page.locator("#form-buttons-disable").count() == 0, f"{url} still enabled"
    with page.expect_navigation():
        page.click("#form-buttons-enable")
    page.goto(url)
    assert page.locator("#form-buttons-disable").count() == 1, f"{url} still disabled"
    return 1


def test_every_switch_of_the_workflow_policies_turns_on_and_off(real_site, browser):
    site = real_site
    page = desktop(browser)
    staff_login(page, site, RECORDS_MANAGER)
    page.goto(f"{site.url}/@@ccas-policies")
    links = page.locator("a[href*='@@ccas-policies?policy=']")
    urls = sorted({links.nth(i).get_attribute("href") for i in range(links.count())})
    assert urls

    def preview_and_apply(page):
        with page.expect_navigation():
            page.click("#policy-form button[name=preview]")
        with page.expect_navigation():
            page.click("#policy-form button[name=apply]")
        assert page.locator("#policy-errors").count() == 0, page.inner_text("main")[:800]

    flipped = 0
    for url in urls:
        page.goto(url)
        boxes = page.locator("#policy-form input[type=checkbox]:not([name$=':list'])")
        names = [boxes.nth(i).get_attribute("name") for i in range(boxes.count())]
        for name in names:
            box = f"#policy-form input[type=checkbox][name='{name}']"
            for _ in range(2):
                page.goto(url)
                before = page.locator(box).is_checked()
                page.locator(box).set_checked(not before)
                preview_and_apply(page)
                page.goto(url)
                assert page.locator(box).is_checked() is (not before), f"{url} {name}"
                flipped += 1
    assert flipped >= 2
