"""The ``ccas.vault`` gettext domain: French by default, English available."""

from ccas.vault import _
from ccas.vault.scripts.i18n import catalog_path
from ccas.vault.scripts.i18n import extract
from ccas.vault.scripts.i18n import LOCALES
from ccas.vault.scripts.i18n import read_catalog
from zope.i18n import translate


def test_template_holds_every_message_of_the_code():
    missing = set(extract()) - set(read_catalog(LOCALES / "ccas.vault.pot"))
    assert not missing, "run: python -m ccas.vault.scripts.i18n"


def test_french_and_english_catalogs_follow_the_template():
    template = set(read_catalog(LOCALES / "ccas.vault.pot"))
    for lang in ("fr", "en"):
        assert set(read_catalog(catalog_path(lang))) == template


def test_every_message_is_translated_into_french():
    french = read_catalog(catalog_path("fr"))
    assert french
    untranslated = [msgid for msgid, msgstr in french.items() if not msgstr]
    assert not untranslated


def test_extraction_finds_messages_of_every_kind():
    messages = set(extract())
    assert "ccas.vault (uninstall)" in messages  # ZCML
    assert "First name" in messages  # Python
    assert "Paper" in messages  # type profile


def test_messages_translate_at_run_time(portal):
    message = _("ccas.vault (uninstall)")
    assert translate(message, target_language="fr") == "ccas.vault (désinstallation)"
    assert translate(message, target_language="en") == "ccas.vault (uninstall)"
