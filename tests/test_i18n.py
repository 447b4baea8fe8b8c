"""The ``ccas.vault`` gettext domain: French by default, English available."""

from ccas.vault import _
from pathlib import Path
from zope.i18n import translate
import re


SRC = Path(__file__).resolve().parents[1] / "src" / "ccas" / "vault"
LOCALES = SRC / "locales"
ENTRY = re.compile(r'^msgid "(.*)"\nmsgstr "(.*)"', re.MULTILINE)


def catalog(path):
    return {msgid: msgstr for msgid, msgstr in ENTRY.findall(path.read_text()) if msgid}


def msgids_in_source():
    found = set()
    for path in SRC.rglob("*.py"):
        found.update(re.findall(r'\b_\(\s*"([^"]+)"', path.read_text()))
    for path in SRC.rglob("*.zcml"):
        text = path.read_text()
        if 'i18n_domain="ccas.vault"' in text:
            found.update(re.findall(r'\b(?:title|description)="([^"]+)"', text))
    return found


def test_template_holds_every_message_of_the_code():
    assert msgids_in_source() <= set(catalog(LOCALES / "ccas.vault.pot"))


def test_french_and_english_catalogs_follow_the_template():
    template = set(catalog(LOCALES / "ccas.vault.pot"))
    for lang in ("fr", "en"):
        assert set(catalog(LOCALES / lang / "LC_MESSAGES" / "ccas.vault.po")) == template


def test_every_message_is_translated_into_french():
    french = catalog(LOCALES / "fr" / "LC_MESSAGES" / "ccas.vault.po")
    assert french
    assert all(french.values())


def test_messages_translate_at_run_time(portal):
    message = _("ccas.vault (uninstall)")
    assert translate(message, target_language="fr") == "ccas.vault (désinstallation)"
    assert translate(message, target_language="en") == "ccas.vault (uninstall)"
