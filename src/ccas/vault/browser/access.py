"""What the REST services and the browser views share: who reads a history, traced previews."""

from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.browser.preview import render_preview
from ccas.vault.browser.preview import WATERMARK
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from ccas.vault.previews.cache import preview_key
from ccas.vault.previews.cache import previews
from ccas.vault.security import check_permission
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from zope.interface import alsoProvides


ALL = "all"
OWN = "own"

NO_STORE = "private, no-store"


def history_scope(vault):
    """How much of the vault's history the current user may read.

    ``"all"`` with ``Read history`` (the owner), ``"own"`` for someone holding
    a mandate role on the shared space (their own actions only), else ``None``.
    """
    if api.user.has_permission(permissions.READ_HISTORY, obj=vault):
        return ALL
    if api.user.is_anonymous():
        return None
    shared = vault.get(SHARED_SPACE_ID) if hasattr(vault, "get") else None
    if shared is None:
        return None
    if set(api.user.get_roles(obj=shared)) & set(roles.MANDATE_ROLES):
        return OWN
    return None


def visible_entries(vault, scope):
    """The entries of the history ``scope`` allows (reading is not traced)."""
    if scope == ALL:
        return history.entries(vault)
    if scope == OWN:
        return history.entries(vault, actor=api.user.get_current())
    return []


def traced_preview(document, request):
    """The watermarked PNG preview of ``document``, recorded as a ``preview`` entry.

    Raises ``Unauthorized`` without ``View preview``.  Sets the response
    headers; the preview is written on a GET, so CSRF protection is lifted.
    The PNG is computed once per paper and process (``ccas.vault.previews``).
    """
    check_permission(permissions.VIEW_PREVIEW, document)
    file = document.file
    content_type = file.contentType if file else ""
    title = document.Title() or document.getId()
    png = previews.get(
        preview_key(document, content_type, title, WATERMARK) if file else None,
        lambda: render_preview(file.data if file else b"", content_type, title),
    )
    alsoProvides(request, IDisableCSRFProtection)
    history.record(vault_of(document), "preview", target=document)
    response = request.response
    response.setHeader("Content-Type", "image/png")
    response.setHeader("Content-Length", str(len(png)))
    response.setHeader("Content-Disposition", 'inline; filename="apercu.png"')
    response.setHeader("Cache-Control", NO_STORE)
    response.setHeader("X-Content-Type-Options", "nosniff")
    return png
