"""'Mes papiers', add a paper (a file, or photos that become one PDF), one paper.

Pages of the skin (see router.py); their context is the person's own vault.
"""

from AccessControl import getSecurityManager
from AccessControl import Unauthorized
from Acquisition import aq_base
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import input_limits
from ccas.vault import permissions
from ccas.vault.api import connectors as connector_api
from ccas.vault.api import documents
from ccas.vault.api.errors import VaultError
from ccas.vault.browser.public.router import PublicPage
from ccas.vault.browser.views import ACTION_LABELS
from ccas.vault.browser.views import local_time
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.deposit.inspection import DepositRefused
from ccas.vault.deposit.inspection import inspect_upload
from ccas.vault.document_types import CATEGORIES
from ccas.vault.document_types import get_document_type
from ccas.vault.document_types import list_document_types
from ccas.vault.document_types import sort_key
from ccas.vault.history import api as history
from ccas.vault.settings import get_setting
from ccas.vault.sharing.watermark import IMAGES
from ccas.vault.sharing.watermark import to_pdf
from ccas.vault.vocabularies.document_types import CATEGORY_TITLES
from datetime import date
from datetime import datetime
from plone import api
from plone.uuid.interfaces import ATTRIBUTE_NAME
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zExceptions import NotFound


DOCUMENT_WORKFLOW = "ccas_vault_document_workflow"
SOON_DAYS = 30  # "expire bientôt" when the type has no reminder delay
MAX_PHOTOS = 20
SPACES = (SHARED_SPACE_ID, PRIVATE_SPACE_ID)
SPACE_LABELS = {
    PRIVATE_SPACE_ID: _("Private space"),
    SHARED_SPACE_ID: _("Shared space"),
}
ACCEPT_FILE = "application/pdf,image/jpeg,image/png,image/webp,image/heic,.pdf,.odt,.docx"


def review_state(document):
    """The workflow state, read from the object (no workflow tool call)."""
    wf_history = getattr(document, "workflow_history", None) or {}
    states = wf_history.get(DOCUMENT_WORKFLOW) or ()
    return states[-1].get("review_state", "") if states else ""


def papers_of(vault):
    """Every paper of the vault, both spaces and their folders: ``(space id, paper)``."""

    def walk(container, space_id):
        for obj in container.objectValues():
            if IVaultDocument.providedBy(obj):
                yield space_id, obj
            elif getattr(obj, "isPrincipiaFolderish", False):
                yield from walk(obj, space_id)

    for space_id in SPACES:
        space = vault.get(space_id)
        if space is not None:
            yield from walk(space, space_id)


def uid_of(document):
    """The paper's UID, read from the object (``UID()`` goes through adapters)."""
    return getattr(aq_base(document), ATTRIBUTE_NAME, None) or document.UID()


def today():
    return clock.paris_now().date()


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def badges(document, state, info, now):
    """The badges of a paper: ``[(css class, message)]``."""
    found = []
    if state == "certified" or (state != "superseded" and document.certification):
        found.append(("badge-ok", _("certified by the CCAS")))
    valid_until = _as_date(document.valid_until)
    if state == "expired" or (valid_until is not None and valid_until < now):
        found.append(("badge-bad", _("expired")))
    elif valid_until is not None:
        delay = max(info.reminder_days) if info is not None and info.reminder_days else SOON_DAYS
        if (valid_until - now).days <= delay:
            found.append(("badge-warn", _("expires soon")))
    return found


def format_date(value):
    value = _as_date(value)
    return value.strftime("%d/%m/%Y") if value else ""


class PaperHelpers:
    """What the paper pages share: type labels (cached per request), badges."""

    _types = None

    def type_info(self, type_id):
        if self._types is None:
            self._types = {}
        if type_id not in self._types:
            self._types[type_id] = get_document_type(type_id) if type_id else None
        return self._types[type_id]

    def type_label(self, type_id):
        info = self.type_info(type_id)
        return info.label(self.lang) if info is not None else (type_id or "")

    def paper_url(self, document):
        return self.url(f"papier/{uid_of(document)}")

    def describe(self, space_id, document, now):
        state = review_state(document)
        type_id = document.document_type
        info = self.type_info(type_id)
        type_label = self.type_label(type_id)
        uid = uid_of(document)
        return {
            "uid": uid,
            "url": self.url(f"papier/{uid}"),
            "title": document.title or type_label,
            "type": type_label,
            "category": info.category if info is not None else "other",
            "space": self.translate(SPACE_LABELS[space_id]),
            "space_id": space_id,
            "valid_until": format_date(document.valid_until),
            "issued": format_date(document.issued),
            "badges": [
                {"css": f"badge {css}", "text": self.translate(text)}
                for css, text in badges(document, state, info, now)
            ],
            "state": state,
            "origin": self.origin_text(document),
        }

    def origin_text(self, document):
        """« Partenaire : CAF » for a paper a partner sent (decision 0055), else ``""``."""
        if document.origin != "partner":
            return ""
        info = getattr(document, "connector_info", None) or {}
        source = info.get("source") or ""
        if not source:
            return self.translate(_("Sent by a partner"))
        return self.translate(_("Partner: ${name}", mapping={"name": source}))


class PapersPage(PaperHelpers, PublicPage):
    """``/mon-coffre/papiers``: the person's papers, grouped by category, with badges."""

    template = ViewPageTemplateFile("templates/papers.pt")
    section = "papiers"

    def __call__(self):
        return self.render()

    def groups(self):
        check = getSecurityManager().checkPermission
        now = today()
        by_category = {}
        for space_id, document in papers_of(self.context):
            if not check(permissions.VIEW_METADATA, document):
                continue
            if review_state(document) == "superseded":
                continue  # the newer version is listed; the old one is on its page
            paper = self.describe(space_id, document, now)
            by_category.setdefault(paper["category"], []).append(paper)
        groups = []
        for category in CATEGORIES:
            papers = by_category.get(category)
            if papers:
                papers.sort(key=lambda paper: sort_key(paper["title"]))
                groups.append(
                    {
                        "id": category,
                        "title": self.translate(CATEGORY_TITLES[category]),
                        "papers": papers,
                    }
                )
        return groups

    def valid_until_label(self):
        return _("Valid until")

    def awaiting_consent(self):
        """The safe waits for the person's consent: nothing can be added yet (decision 0046)."""
        return api.content.get_state(self.context) == "awaiting_consent"

    def may_add(self):
        """The person always; a relative helping with the safe when they may deposit (0049)."""
        if not self.helping:
            return True
        shared = self.context.get(SHARED_SPACE_ID)
        return shared is not None and bool(
            getSecurityManager().checkPermission(permissions.DEPOSIT, shared)
        )

    def added(self):
        return self.request.form.get("ajoute", "")


# --- adding and replacing -------------------------------------------------------------------


def _uploads(value):
    """The non-empty uploads of a form field (one or several files)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [item for item in items if getattr(item, "filename", "") and hasattr(item, "read")]


def _read(upload):
    upload.seek(0)
    return upload.read()


def _title_error(title):
    """The message for a paper's name too long or not text (decision 0038), else ``None``."""
    problem = input_limits.text_problem(title, input_limits.max_length("title"))
    if problem is None:
        return None
    if problem is input_limits.BAD_CHARACTERS:
        return _(
            "The name holds characters that are not allowed. Type it again, without copy-paste."
        )
    return _("The name is too long. Write a shorter name.")


def parse_date(text):
    """``2026-11-23`` (date input) or ``23/11/2026``; ``None`` when empty; ``ValueError``."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


class UploadForm(PaperHelpers, PublicPage):
    """The file-or-photos part of the add and replace forms."""

    errors = None

    def refusal_text(self, error):
        if isinstance(error, DepositRefused):
            return self.translate(error.message)
        if isinstance(error, VaultError):
            return error.message_fr if self.lang == "fr" else str(error)
        return str(error)

    def read_upload(self):
        """``(data, filename, origin)`` from the form, or ``None`` with ``self.errors`` set.

        Several photos are inspected one by one (type by content, metadata
        stripped), then put together as the pages of one PDF.
        """
        form = self.request.form
        files = _uploads(form.get("file"))
        photos = _uploads(form.get("photos"))
        if files and photos:
            self.errors["photos"] = _(
                "Send a file or photos, not both. Remove the file or the photos."
            )
            return None
        if not files and not photos:
            self.errors["photos"] = _("Take a photo of your paper, or choose a file.")
            return None
        if files:
            upload = files[0]
            return _read(upload), upload.filename, "upload"
        if len(photos) > MAX_PHOTOS:
            self.errors["photos"] = _(
                "Too many photos. Send ${max} photos at most.", mapping={"max": MAX_PHOTOS}
            )
            return None
        pages = []
        max_size = get_setting("max_upload_size_mb") * 1024 * 1024
        for upload in photos:
            try:
                inspected = inspect_upload(
                    _read(upload), filename=upload.filename, max_size=max_size
                )
            except DepositRefused as refusal:
                history.record(
                    self.context,
                    "refused",
                    actor=api.user.get_current(),
                    details={
                        "operation": "deposit",
                        "code": refusal.code,
                        "filename": upload.filename[:200],
                    },
                )
                self.errors["photos"] = refusal.message
                return None
            if inspected.content_type not in IMAGES:
                self.errors["photos"] = _(
                    "This file is not a photo. Choose it with the button “Choose a file”."
                )
                return None
            pages.append((inspected.data, inspected.content_type))
        return to_pdf(pages), "photos.pdf", "camera"

    def field_error(self, name):
        error = (self.errors or {}).get(name)
        return self.translate(error) if error else ""


class AddPaperPage(UploadForm):
    """``/mon-coffre/ajouter``: choose the type, then a file or photos; preview; send."""

    template = ViewPageTemplateFile("templates/add.pt")
    section = "ajouter"
    health_needed = False

    def connectors_offered(self):
        """Whether the CCAS fetches papers for people (connectors switched on, decision 0051)."""
        return bool(connector_api.offered_to_person(self.context))

    def __call__(self):
        self.errors = {}
        self.alert = ""
        form = self.request.form
        self.values = {
            "document_type": form.get("document_type", ""),
            "title": (form.get("title") or "").strip(),
            "issued": (form.get("issued") or "").strip(),
            "space": form.get("space", PRIVATE_SPACE_ID),
        }
        if self.values["space"] not in SPACES or self.helping:
            # a relative helping with the safe adds to the shared space only (decision 0049)
            self.values["space"] = SHARED_SPACE_ID if self.helping else PRIVATE_SPACE_ID
        info = (
            self.type_info(self.values["document_type"]) if self.values["document_type"] else None
        )
        self.health_needed = bool(info and info.health)
        if self.request.get("REQUEST_METHOD") == "POST" and "form.submitted" in form:
            self.check_authenticator()
            document = self.add(info)
            if document is not None:
                return self.redirect("papiers", ajoute=document.UID())
        status = 200 if not (self.errors or self.alert) else 400
        return self.render(status=status)

    def add(self, info):
        values = self.values
        if info is None or not info.enabled:
            self.errors["document_type"] = _("Choose the type of paper in the list.")
        title_error = _title_error(values["title"])
        if title_error:
            self.errors["title"] = title_error
            values["title"] = values["title"][: input_limits.max_length("title")]
        try:
            issued = parse_date(values["issued"])
        except ValueError:
            issued = None
            self.errors["issued"] = _("Write the date like this: 23/11/2026. Or leave it empty.")
        if issued is not None and issued > today():
            self.errors["issued"] = _("This date is in the future. Check the date on the paper.")
        if info is not None and info.health and not self.request.form.get("health_confirmed"):
            self.errors["health_confirmed"] = _(
                "This paper is about your health. The safe is not made for health papers. "
                "To keep it anyway, tick the box. Then choose your file again."
            )
        if self.errors:
            return None
        upload = self.read_upload()
        if upload is None:
            return None
        data, filename, origin = upload
        space = self.context.get(values["space"])
        try:
            return documents.deposit(
                space,
                data=data,
                filename=filename,
                document_type=info.id,
                title=values["title"] or None,
                issued=issued,
                origin=origin,
                health_confirmed=bool(self.request.form.get("health_confirmed")),
            )
        except documents.HealthConfirmationRequired:
            self.health_needed = True
            self.errors["health_confirmed"] = _(
                "This paper is about your health. The safe is not made for health papers. "
                "To keep it anyway, tick the box. Then choose your file again."
            )
        except DepositRefused as refusal:
            self.errors["photos" if origin == "camera" else "file"] = refusal.message
        except VaultError as error:
            self.alert = self.refusal_text(error)
        except Unauthorized:
            self.alert = self.translate(
                _("You cannot add a paper now. Your safe may be closing. Ask the CCAS reception.")
            )
        return None

    def type_options(self):
        lang = self.lang
        types = sorted(list_document_types(), key=lambda t: (sort_key(t.label(lang)), t.id))
        chosen = self.values["document_type"]
        return [
            {"id": t.id, "label": t.label(lang), "selected": t.id == chosen, "health": t.health}
            for t in types
        ]

    def space_options(self):
        if self.helping:
            return []  # the shared space only: the private one is the person's alone
        return [
            {
                "id": PRIVATE_SPACE_ID,
                "label": self.translate(_("Private space")),
                "hint": self.translate(_("Nobody else sees it.")),
                "checked": self.values["space"] == PRIVATE_SPACE_ID,
            },
            {
                "id": SHARED_SPACE_ID,
                "label": self.translate(_("Shared space")),
                "hint": self.translate(_("The agents you gave a mandate to can see it.")),
                "checked": self.values["space"] == SHARED_SPACE_ID,
            },
        ]

    accept_file = ACCEPT_FILE


# --- one paper ------------------------------------------------------------------------------


class PaperPage(UploadForm):
    """``/mon-coffre/papier/<uid>``: preview, print, download, share, history, replace."""

    template = ViewPageTemplateFile("templates/paper.pt")
    section = "papiers"
    accept_file = ACCEPT_FILE

    def find(self, uid):
        check = getSecurityManager().checkPermission
        for space_id, document in papers_of(self.context):
            if uid_of(document) == uid:
                if not check(permissions.VIEW_METADATA, document):
                    break
                return space_id, document
        raise NotFound(uid)

    def __call__(self):
        if len(self.subpath) != 1:
            raise NotFound("papier")
        self.space_id, self.document = self.find(self.subpath[0])
        self.info = self.describe(self.space_id, self.document, today())
        self.errors = {}
        self.alert = ""
        if self.request.get("REQUEST_METHOD") == "POST" and "form.submitted" in self.request.form:
            self.check_authenticator()
            newer = self.replace()
            if newer is not None:
                self.request.response.redirect(
                    self.url(f"papier/{newer.UID()}", remplace="1"), status=303
                )
                return ""
        return self.render(status=400 if (self.errors or self.alert) else 200)

    def replace(self):
        upload = self.read_upload()
        if upload is None:
            return None
        data, filename, origin = upload
        try:
            return documents.replace(self.document, data=data, filename=filename)
        except DepositRefused as refusal:
            self.errors["photos" if origin == "camera" else "file"] = refusal.message
        except VaultError as error:
            self.alert = self.refusal_text(error)
        except Unauthorized:
            self.alert = self.translate(
                _("You cannot replace this paper. Ask the CCAS reception for help.")
            )
        return None

    def certification(self):
        certification = self.document.certification
        if not certification:
            return None
        return {
            "by": certification.get("by_fullname") or certification.get("by", ""),
            "organisation": certification.get("organisation_title")
            or certification.get("organisation", ""),
            "at": local_time(certification.get("at", "")),
        }

    def may(self, permission, obj=None):
        return bool(
            getSecurityManager().checkPermission(
                permission, obj if obj is not None else self.document
            )
        )

    def actions(self):
        document = self.document
        base = document.absolute_url()
        state = review_state(document)
        items = []
        if self.may(permissions.DOWNLOAD_ORIGINAL):
            items.append(
                {
                    "id": "print",
                    "url": f"{base}/@@print",
                    "icon": "print",
                    "title": self.translate(_("Print it")),
                }
            )
            items.append(
                {
                    "id": "download",
                    "url": f"{base}/@@download/file",
                    "icon": "download",
                    "title": self.translate(_("Download it")),
                }
            )
        if self.may(permissions.SHARE) and state != "superseded":
            items.append(
                {
                    "id": "share",
                    "url": self.url("partager", uids=document.UID()),
                    "icon": "share",
                    "title": self.translate(_("Share it")),
                }
            )
        return items

    def may_replace(self):
        document = self.document
        if review_state(document) == "superseded":
            return False
        space = document.aq_parent
        if not self.may(permissions.DEPOSIT, space):
            return False
        return not document.certification or self.may(permissions.CERTIFY, space)

    def preview_alt(self):
        return _("Preview of ${title}")

    def preview_url(self):
        if not self.may(permissions.VIEW_PREVIEW):
            return ""
        return f"{self.document.absolute_url()}/@@preview"

    def versions(self):
        """Links to the newer and the older version, when there are."""
        found = {}
        for key in ("replaced_by", "replaces"):
            uid = getattr(self.document, key, None)
            if uid:
                found[key] = self.url(f"papier/{uid}")
        return found

    def history(self):
        if self.helping:
            return []  # the safe's history is the person's (decision 0049)
        uid = self.document.UID()
        lines = []
        for entry in history.entries(self.context):
            if entry.target_uid != uid:
                continue
            lines.append(
                {
                    "when": local_time(entry.when),
                    "when_iso": entry.when,
                    "action": self.translate(ACTION_LABELS.get(entry.action, entry.action)),
                    "who": entry.actor_fullname or self.source_of(entry) or entry.actor,
                    "recipient": entry.details.get("recipient", "") if entry.details else "",
                }
            )
        lines.reverse()
        return lines

    @staticmethod
    def source_of(entry):
        """The partner a partner's paper came from (decision 0055), for its history line."""
        details = entry.details or {}
        return details.get("source", "") if details.get("partner") else ""

    def replaced(self):
        return bool(self.request.form.get("remplace"))
