"""A paper's watermarked preview is computed once per process, traced each time (decision 0053)."""

from ccas.vault.browser.access import traced_preview
from ccas.vault.history import api as history
from ccas.vault.previews.cache import PreviewCache
from ccas.vault.previews.cache import previews
from plone import api
from vaults import consent_as_owner
from vaults import deposit_as
from vaults import make_agent
from vaults import open_vault_as
from vaults import pdf_bytes
import pytest


@pytest.fixture
def vault(portal):
    make_agent("accueil")
    previews.clear()
    yield consent_as_owner(open_vault_as("accueil", "jdupont"))
    previews.clear()


def preview_as(login, document):
    with api.env.adopt_user(username=login):
        return traced_preview(document, document.REQUEST)


def test_a_preview_asked_twice_is_computed_once_and_traced_twice(vault):
    paper = deposit_as("jdupont", vault["partage"])
    before = previews.computed
    first = preview_as("jdupont", paper)
    second = preview_as("jdupont", paper)
    assert first == second and first.startswith(b"\x89PNG")
    assert previews.computed == before + 1
    traced = [entry for entry in history.entries(vault) if entry.action == "preview"]
    assert len(traced) == 2


def test_another_paper_gets_its_own_preview(vault):
    paper = deposit_as("jdupont", vault["partage"])
    other = deposit_as("jdupont", vault["partage"], data=pdf_bytes("Autre"))
    before = previews.computed
    assert preview_as("jdupont", paper) != b""
    assert preview_as("jdupont", other) != b""
    assert previews.computed == before + 2


def test_the_permission_is_checked_before_the_remembered_preview(vault):
    from zExceptions import Unauthorized

    paper = deposit_as("jdupont", vault["partage"])
    preview_as("jdupont", paper)
    make_agent("etranger")
    with pytest.raises(Unauthorized):
        preview_as("etranger", paper)


def test_the_memory_is_bounded_and_entries_expire():
    now = [0.0]
    cache = PreviewCache(max_bytes=10, lifetime=60, clock=lambda: now[0])
    assert cache.get("a", lambda: b"aaaa") == b"aaaa"
    assert cache.get("a", lambda: b"other") == b"aaaa"
    cache.get("b", lambda: b"bbbb")
    cache.get("c", lambda: b"cccc")  # 12 bytes: "a", the least recently used, leaves
    assert len(cache) == 2
    assert cache.get("a", lambda: b"again") == b"again"
    now[0] = 61.0  # older than its lifetime: computed again
    assert cache.get("b", lambda: b"fresh") == b"fresh"
    assert cache.get(None, lambda: b"x") == b"x" and cache.get(None, lambda: b"y") == b"y"
    assert cache.get("big", lambda: b"z" * 11) == b"z" * 11 and "big" not in cache._entries
