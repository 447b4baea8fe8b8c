"""Sphinx configuration: the Markdown pages of docs/, read by MyST (``make docs``)."""

from pathlib import Path


DOCS = Path(__file__).parent

project = "ccas.vault"
author = "ccas.vault developers"
copyright = "ccas.vault developers, GPL-2.0-or-later"
language = "fr"

extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "alabaster"
html_title = "ccas.vault"
html_static_path = []
# Page sources are not copied into the build (the Markdown lives in the repository).
html_copy_source = False
html_show_sourcelink = False


def setup(app):
    """Crontab snippets (deploy.md) are shown as plain text."""
    from pygments.lexers.special import TextLexer

    app.add_lexer("cron", TextLexer)
