"""The person's phone on the shipped product: the camera adds a page per shot, the short menu.

On ``real_site`` (the instance ``make start`` builds), in Debian's Chromium on a 390×844
touch screen (issue 20, items 4 and 5):

* "Ajouter un papier" → "Prendre le papier en photo": a phone's camera gives one file per
  shot, and a file input keeps only the last choice. Three shots are taken one after the
  other, one removed, one moved up, one retaken; the paper sent is one PDF whose pages are
  the shots kept, in the order shown.
* The menu keeps the three most used entries on the first screen (≤ 15 % of its height);
  the others are one tap away under "Plus" (a ``<details>``: no script needed).

Screenshots for the user guide land in ``tests/screenshots/`` (``camera-*``, ``menu-*``).
"""

from io import BytesIO
from journeys import person_login
from journeys import PHONE
from journeys import phone
from journeys import text_of
from public_skin import screenshot
from public_skin import serious_violations
import pytest


pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stopwatch")]

PERSON = "alice.martin"
COLOURS = {
    "rouge": (200, 30, 30),
    "vert": (30, 160, 60),
    "bleu": (30, 60, 200),
    "jaune": (230, 200, 20),
}


def shot(tmp_path, name):
    """One camera shot: a JPEG of one colour with its name written on it."""
    from PIL import Image
    from PIL import ImageDraw

    image = Image.new("RGB", (600, 800), COLOURS[name])
    ImageDraw.Draw(image).text((40, 40), f"PAGE {name.upper()}", fill="white")
    path = tmp_path / f"{name}.jpg"
    image.save(path, format="JPEG", quality=92)
    return str(path)


def colour_of(page):
    """The name of the colour of a PDF page's image (its centre pixel)."""
    (image,) = page.images
    pixel = image.image.convert("RGB").getpixel((image.image.width // 2, image.image.height - 20))
    return min(
        COLOURS,
        key=lambda name: sum((a - b) ** 2 for a, b in zip(COLOURS[name], pixel, strict=True)),
    )


def shots_shown(page):
    return [" ".join(text.split()) for text in page.locator(".shot .shot-name").all_inner_texts()]


def test_each_camera_shot_adds_a_page_to_one_pdf(real_site, browser, tmp_path):
    from pypdf import PdfReader

    site = real_site
    person = phone(browser)
    assert person_login(person, site, PERSON), text_of(person)
    person.locator("nav.menu").get_by_role("link", name="Ajouter un papier").click()
    person.wait_for_load_state()
    person.select_option("#document_type", "bulletin-salaire")
    person.fill("#title", "Bulletin en trois photos")
    camera = person.locator("#photos")
    assert camera.get_attribute("capture") == "environment"

    # Three shots, one after the other: each adds a page (the input alone would keep one)
    person.set_input_files("#photos", shot(tmp_path, "rouge"))
    assert person.inner_text("#photos-count") == "Page 1 ajoutée. 1 photo choisie"
    assert person.inner_text("label[for=photos]").strip() == "Prendre la page suivante en photo"
    person.set_input_files("#photos", shot(tmp_path, "vert"))
    person.set_input_files("#photos", shot(tmp_path, "bleu"))
    assert person.inner_text("#photos-count") == "Page 3 ajoutée. 3 photos choisies"
    assert shots_shown(person) == ["Page 1", "Page 2", "Page 3"]
    assert person.evaluate("document.getElementById('photos').files.length") == 3
    # Large touch targets, French names that say which page
    for button in person.locator(".shot button").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, box
    assert person.get_by_role("button", name="Retirer la page 2").count() == 1
    assert person.get_by_role("button", name="Monter la page 1").is_disabled()
    width = person.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    screenshot(person, "camera-trois-pages")
    assert serious_violations(person) == []  # axe-core: no serious or critical violation

    # Remove the green one, move the blue one up, retake the red one (now page 2)
    person.get_by_role("button", name="Retirer la page 2").click()
    assert person.inner_text("#photos-count") == "Page 2 retirée. 2 photos choisies"
    person.get_by_role("button", name="Monter la page 2").click()
    assert person.inner_text("#photos-count").startswith("La page est maintenant la page 1.")
    with person.expect_file_chooser() as chooser:
        person.get_by_role("button", name="Reprendre la page 2 en photo").click()
    chooser.value.set_files(shot(tmp_path, "jaune"))
    assert person.inner_text("#photos-count") == "Page 2 reprise. 2 photos choisies"
    assert person.evaluate("document.getElementById('photos').files.length") == 2
    screenshot(person, "camera-ordre")

    person.click("#add-form button[type=submit]")
    person.wait_for_load_state()
    assert person.url.split("?")[0].endswith("/mon-coffre/papiers"), text_of(person)
    person.locator("li.card[aria-current='true'] a").click()
    person.wait_for_load_state()
    href = person.get_attribute("#action-download", "href")
    answer = person.context.request.get(href)
    assert answer.ok, answer.status
    pages = PdfReader(BytesIO(answer.body())).pages
    assert [colour_of(page) for page in pages] == ["bleu", "jaune"]


def test_the_menu_keeps_three_entries_on_the_first_screen(real_site, browser):
    site = real_site
    person = phone(browser)
    assert person_login(person, site, PERSON), text_of(person)
    for name in ("papiers", "ajouter", "compte"):
        person.goto(f"{site.url}/mon-coffre/{name}")
        menu = person.locator("nav.menu").bounding_box()
        share = menu["height"] / PHONE["height"]
        print(f"\n[menu] /mon-coffre/{name}: {menu['height']:.0f} px, {share:.1%} of 844 px")
        assert share <= 0.15, (name, menu)
    main = person.locator("nav.menu .menu-main > li > a")
    assert main.all_inner_texts() == ["Mes papiers", "Ajouter un papier", "Mes partages"]
    rest = person.locator("nav.menu details ul a")
    assert not rest.first.is_visible()
    person.goto(f"{site.url}/mon-coffre/papiers")
    screenshot(person, "menu-court")
    person.locator("nav.menu summary").click()
    names = [" ".join(text.split()) for text in rest.all_inner_texts()]
    assert names == [
        "Qui a accès",
        "Mes rendez-vous",
        "Historique",
        "Mes dossiers",
        "Mon compte",
        "Me déconnecter",
    ], names
    screenshot(person, "menu-plus")
    assert serious_violations(person) == []
    person.get_by_role("link", name="Mon compte").click()
    person.wait_for_load_state()
    assert person.url.endswith("/mon-coffre/compte")
    # Without scripts, the disclosure still opens (a <details>)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="fr-FR")
    bare = context.new_page()
    assert person_login(bare, site, PERSON)
    bare.locator("nav.menu summary").click()
    assert bare.locator("nav.menu details ul").get_by_role("link", name="Historique").is_visible()
    context.close()
