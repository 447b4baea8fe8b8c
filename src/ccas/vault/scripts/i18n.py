"""Keep the ``ccas.vault`` gettext catalogs in step with the code.

``python -m ccas.vault.scripts.i18n`` rebuilds ``locales/ccas.vault.pot`` from
the messages the code uses and adds the missing ones to the ``fr`` and ``en``
catalogs (with an empty translation: fill the French one in), keeping every
existing translation.  ``--check`` only reports what is missing (exit 1).

Messages are found in: ``_("...")`` calls of Python modules (implicit string
concatenation included), ``title``/``description`` attributes of ZCML files
whose domain is ``ccas.vault``, ``i18n:translate`` elements of page templates
of that domain, and the ``i18n:translate`` properties of the type profiles.
"""

from pathlib import Path
from xml.etree import ElementTree
import ast
import re
import sys


PACKAGE = Path(__file__).resolve().parents[1]
DOMAIN = "ccas.vault"
LOCALES = PACKAGE / "locales"
LANGUAGES = ("fr", "en")
I18N_NS = "http://xml.zope.org/namespaces/i18n"
HEADER = """msgid ""
msgstr ""
"Project-Id-Version: ccas.vault\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n > 1);\\n"
"Language-Code: {lang}\\n"
"Language-Name: {name}\\n"
"Preferred-Encodings: utf-8\\n"
"Domain: ccas.vault\\n"
"""
NAMES = {"fr": "Français", "en": "English", "": ""}


def _python_messages(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def _zcml_messages(path):
    text = path.read_text(encoding="utf-8")
    if f'i18n_domain="{DOMAIN}"' in text:
        yield from re.findall(r'\b(?:title|description)="([^"]+)"', text)


def _template_messages(path):
    text = path.read_text(encoding="utf-8")
    if f'i18n:domain="{DOMAIN}"' not in text:
        return
    for explicit, content in re.findall(
        r'i18n:translate="([^"]*)"[^>]*>([^<]*)<', text, flags=re.DOTALL
    ):
        message = explicit or " ".join(content.split())
        if explicit or (message and "${" not in message):
            yield message


def _type_messages(path):
    root = ElementTree.parse(path).getroot()
    if root.get(f"{{{I18N_NS}}}domain") != DOMAIN:
        return
    for prop in root.iter("property"):
        if prop.get(f"{{{I18N_NS}}}translate") is not None and (prop.text or "").strip():
            yield prop.text.strip()


def extract(package=PACKAGE, profiles=None):
    """Every msgid of the ``ccas.vault`` domain used by the code, sorted."""
    from ccas.vault import profiles_dir

    profiles = profiles or profiles_dir()
    found = set()
    for path in package.rglob("*.py"):
        found.update(_python_messages(path))
    for path in package.rglob("*.zcml"):
        found.update(_zcml_messages(path))
    for path in package.rglob("*.pt"):
        found.update(_template_messages(path))
    for path in Path(profiles).rglob("types/*.xml"):
        found.update(_type_messages(path))
    return sorted(found)


def _quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _unquote(text):
    return text.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")


ENTRY = re.compile(r'^msgid "((?:[^"\\]|\\.)*)"\nmsgstr "((?:[^"\\]|\\.)*)"', re.MULTILINE)


def read_catalog(path):
    """msgid -> msgstr of a .po/.pot file written by this module."""
    if not path.exists():
        return {}
    return {
        _unquote(msgid): _unquote(msgstr)
        for msgid, msgstr in ENTRY.findall(path.read_text(encoding="utf-8"))
        if msgid
    }


def write_catalog(path, lang, entries):
    lines = [HEADER.format(lang=lang, name=NAMES[lang])]
    for msgid, msgstr in entries:
        lines.append(f'msgid "{_quote(msgid)}"\nmsgstr "{_quote(msgstr)}"\n')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def catalog_path(lang):
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def sync():
    messages = extract()
    write_catalog(LOCALES / f"{DOMAIN}.pot", "", [(m, "") for m in messages])
    for lang in LANGUAGES:
        known = read_catalog(catalog_path(lang))
        write_catalog(catalog_path(lang), lang, [(m, known.get(m, "")) for m in messages])
    return messages


def missing():
    """(lang, msgid) pairs the catalogs lack or leave untranslated in French."""
    messages = extract()
    problems = []
    for lang in LANGUAGES:
        known = read_catalog(catalog_path(lang))
        for message in messages:
            if message not in known or (lang == "fr" and not known[message]):
                problems.append((lang, message))
    return problems


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--check" in argv:
        problems = missing()
        for lang, message in problems:
            print(f"{lang}: {message}")
        return 1 if problems else 0
    print(f"{len(sync())} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
