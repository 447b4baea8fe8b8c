"""Sharing pages: @@partager (make a link), @@mes-partages (see, revoke), @@lien (the recipient).

``@@partager`` and ``@@mes-partages`` are plain forms protected by
plone.protect's authenticator.  ``@@lien`` is public: the recipient has no
account.  Its link is ``<site>/@@lien#<token>``: the fragment never reaches a
server, and a tiny script moves it into a POST field; every answer carries
``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` and
``X-Robots-Tag: noindex``.  Expired, revoked, unknown and locked links get a
plain French page (410, 404, 429), never a traceback.
"""

from AccessControl import Unauthorized
from ccas.vault import _
from ccas.vault import clock
from ccas.vault.api.errors import VaultError
from ccas.vault.content.spaces import ISharedSpace
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.lookup import vault_of
from ccas.vault.services.share_links.share_links import documents_by_uid
from ccas.vault.services.share_links.share_links import share_url
from ccas.vault.sharing import links
from ccas.vault.sharing.watermark import bundle
from ccas.vault.sharing.watermark import SHAREABLE
from ccas.vault.sharing.watermark import watermarked_copy
from datetime import datetime
from plone import api
from plone.protect import CheckAuthenticator
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from unidecode import unidecode
from zope.interface import alsoProvides
import re


DURATION_CHOICES = (
    ("3h", _("3 hours")),
    ("1d", _("1 day")),
    ("7d", _("7 days")),
    ("1m", _("1 month")),
    ("revoked", _("Until I stop it")),
)
STATE_LABELS = {"active": _("Active"), "expired": _("Ended"), "revoked": _("Stopped")}


def local_time(iso):
    """``23/11/2026 à 10:00`` (Europe/Paris) from a UTC ISO date-time."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(clock.PARIS).strftime("%d/%m/%Y %H:%M")


def _shareable_papers(container):
    papers = []
    for document in container.objectValues():
        if IVaultDocument.providedBy(document):
            if api.content.get_state(document) == "superseded":
                continue
            if document.file is None or document.file.contentType not in SHAREABLE:
                continue
            papers.append(document)
        elif hasattr(document, "objectValues") and not IVaultDocument.providedBy(document):
            papers.extend(_shareable_papers(document))  # "Courrier du CCAS" folder
    return papers


class ShareForm(BrowserView):
    """``@@partager`` on a vault (the owner: every paper) or its shared space (also sharers)."""

    template = ViewPageTemplateFile("templates/share_form.pt")
    result_template = ViewPageTemplateFile("templates/share_result.pt")
    error = None
    link = token = code = None

    @property
    def durations(self):
        """The durations the CCAS offers (workflow policy ``sharing-rules``)."""
        from ccas.vault.policies.sharing import sharing_rules

        offered = sharing_rules()["durations"]
        return tuple(choice for choice in DURATION_CHOICES if choice[0] in offered)

    @property
    def code_required(self):
        """True when the CCAS gives every link an access code."""
        from ccas.vault.policies.sharing import sharing_rules

        return sharing_rules()["code_required"]

    def papers(self):
        """``[{"label", "papers": [{"uid", "title", "id"}]}]`` the current user may share."""
        vault = vault_of(self.context)
        if ISharedSpace.providedBy(self.context) and not links.is_owner(vault):
            spaces = [(SHARED_SPACE_ID, self.context)]
        else:
            spaces = [
                (PRIVATE_SPACE_ID, vault.get(PRIVATE_SPACE_ID)),
                (SHARED_SPACE_ID, vault.get(SHARED_SPACE_ID)),
            ]
        groups = []
        for space_id, space in spaces:
            if space is None:
                continue
            items = [
                {"uid": doc.UID(), "title": doc.Title(), "id": doc.getId()}
                for doc in _shareable_papers(space)
                if api.user.has_permission("ccas.vault: Share document", obj=doc)
            ]
            if items:
                label = (
                    _("My private papers") if space_id == PRIVATE_SPACE_ID else _("Shared papers")
                )
                groups.append({"label": label, "papers": items})
        return groups

    def checked(self, uid):
        chosen = self.request.form.get("uids") or []
        return uid in (chosen if isinstance(chosen, list) else [chosen])

    def __call__(self):
        form = self.request.form
        if self.request.method == "POST" and form.get("form.submitted"):
            CheckAuthenticator(self.request)
            vault = vault_of(self.context)
            uids = form.get("uids") or []
            uids = uids if isinstance(uids, list) else [uids]
            try:
                documents = documents_by_uid(vault, uids)
                self.link, self.token, self.code = links.create_link(
                    vault,
                    documents,
                    form.get("recipient", ""),
                    form.get("duration", ""),
                    with_code=bool(form.get("with_code")),
                )
            except VaultError as refusal:
                self.error = refusal.message_fr
                self.request.response.setStatus(400)
                return self.template()
            self.request.response.setHeader("Cache-Control", "private, no-store")
            return self.result_template()
        return self.template()

    def url(self):
        return share_url(self.token)

    def expires(self):
        return local_time(self.link.expires)


class MySharesView(BrowserView):
    """``@@mes-partages``: the links the current user may see, their openings, a stop button."""

    template = ViewPageTemplateFile("templates/my_shares.pt")

    def vault(self):
        return vault_of(self.context)

    def items(self):
        found = links.visible_links(self.vault())
        if found is None:
            raise Unauthorized("Only the owner or an agent with the share scope")
        items = []
        for link in sorted(found, key=lambda link: link.created_at or "", reverse=True):
            info = links.link_info(link)
            info["state_label"] = STATE_LABELS.get(info["review_state"], info["review_state"])
            info["created_local"] = local_time(info["created"])
            info["expires_local"] = local_time(info["expires"]) if info["expires"] else None
            info["openings"] = [
                {"when": local_time(opening["when"]), "what": ", ".join(opening["what"])}
                for opening in info["openings"]
            ]
            items.append(info)
        return items

    def __call__(self):
        form = self.request.form
        if self.request.method == "POST" and form.get("revoke"):
            CheckAuthenticator(self.request)
            link = self.vault().get(form.get("link", ""))
            if link is None or not links.IShareLink.providedBy(link):
                raise Unauthorized("No such link")
            try:
                links.revoke(link)
                api.portal.show_message(_("The link is stopped."), request=self.request)
            except VaultError as refusal:
                api.portal.show_message(refusal.message_fr, request=self.request, type="error")
            return self.request.response.redirect(
                f"{self.context.absolute_url()}/@@mes-partages", status=303
            )
        self.request.response.setHeader("Cache-Control", "private, no-store")
        return self.template()


def _filename(title, extension):
    slug = re.sub(r"[^a-z0-9]+", "-", unidecode(title or "").lower()).strip("-")[:60]
    return f"copie-{slug or 'papier'}.{extension}"


class LinkView(BrowserView):
    """``@@lien``: the recipient's page (public, light, French)."""

    template = ViewPageTemplateFile("templates/link.pt")
    error = None
    link = None
    needs_code = False
    status = 200

    def _headers(self):
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        response.setHeader("Referrer-Policy", "no-referrer")
        response.setHeader("X-Robots-Tag", "noindex, nofollow")
        response.setHeader("X-Content-Type-Options", "nosniff")
        response.setHeader("X-Frame-Options", "DENY")

    def __call__(self):
        self._headers()
        form = self.request.form
        if self.request.method != "POST":
            return self.template()
        # Anonymous posts: nothing of a user session changes, only the link's own log.
        alsoProvides(self.request, IDisableCSRFProtection)
        # Without JavaScript the whole link may be pasted: keep what follows the "#".
        self.token = (form.get("token") or "").strip().rsplit("#", 1)[-1]
        self.access_code = (form.get("code") or "").strip()
        self._forget_secrets()
        try:
            self.link = links.open_link(self.token, self.access_code or None)
        except links.CodeRequired:
            self.needs_code = True
            return self.template()
        except links.WrongCode as refusal:
            self.needs_code = True
            self.error = refusal.message_fr
            self.request.response.setStatus(403)
            return self.template()
        except links.LinkError as refusal:
            self.error = refusal.message_fr
            self.status = refusal.status
            self.request.response.setStatus(refusal.status)
            return self.template()
        if form.get("download"):
            return self.download(form.get("download"))
        return self.template()

    def _forget_secrets(self):
        """Take the token and the code out of the request, so no error report can show them."""
        for name in ("token", "code"):
            self.request.form.pop(name, None)
            self.request.other.pop(name, None)

    def papers(self):
        return [{"uid": doc.UID(), "title": doc.Title()} for doc in links.documents_of(self.link)]

    def expires(self):
        return local_time(self.link.expires) if self.link.expires else None

    def download(self, which):
        documents = links.documents_of(self.link)
        if which != "all":
            documents = [doc for doc in documents if doc.UID() == which]
        if not documents:
            self.error = "Ce papier n'est plus disponible."
            self.request.response.setStatus(404)
            return self.template()
        text = links.watermark_text(self.link)
        if len(documents) == 1:
            file = documents[0].file
            data, content_type = watermarked_copy(file.data, file.contentType, text)
            extension = {"application/pdf": "pdf", "image/jpeg": "jpg"}.get(content_type, "png")
            filename = _filename(documents[0].Title(), extension)
        else:
            data = bundle([(doc.file.data, doc.file.contentType) for doc in documents], text)
            content_type, filename = "application/pdf", "copie-papiers.pdf"
        links.record_opening(self.link, documents)
        response = self.request.response
        response.setHeader("Content-Type", content_type)
        response.setHeader("Content-Disposition", f'attachment; filename="{filename}"')
        response.setHeader("Content-Length", str(len(data)))
        return data
