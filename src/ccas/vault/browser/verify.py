"""``@@verifier`` on the site root: the public page to check a certified paper.

Drop a file (its SHA-256 is computed in the browser when it can, so the file
does not even leave the phone; else it is posted and hashed on the server)
or paste a SHA-256.  Read-only; says nothing about the vault or the person.
"""

from ccas.vault import _
from ccas.vault.certification.verification import BadHash
from ccas.vault.certification.verification import verify_bytes
from ccas.vault.certification.verification import verify_hash
from ccas.vault.settings import get_setting
from datetime import datetime
from Products.Five.browser import BrowserView
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zoneinfo import ZoneInfo
from ZPublisher.HTTPRequest import FileUpload
import transaction


PARIS = ZoneInfo("Europe/Paris")


def paris_moment(iso):
    """``23/11/2026 à 10:05`` (Europe/Paris) for an ISO UTC date-time."""
    try:
        moment = datetime.fromisoformat(iso).astimezone(PARIS)
    except (TypeError, ValueError):
        return iso or ""
    return moment.strftime("%d/%m/%Y %H:%M")


class VerifyView(BrowserView):
    """The verification page; ``result`` / ``error`` are set by a submitted form."""

    template = ViewPageTemplateFile("templates/verify.pt")
    result = None
    error = None

    def __call__(self):
        transaction.doom()  # never writes
        self.request.response.setHeader("Cache-Control", "no-store")
        form = self.request.form
        if self.request.get("REQUEST_METHOD") == "POST" or form.get("sha256"):
            self.check(form)
        return self.template()

    def check(self, form):
        upload = form.get("file")
        value = (form.get("sha256") or "").strip()
        if isinstance(upload, FileUpload) and upload.filename and not value:
            data = upload.read(get_setting("max_upload_size_mb") * 1024 * 1024 + 1)
            if not data:
                self.error = _("The file is empty.")
            elif len(data) > get_setting("max_upload_size_mb") * 1024 * 1024:
                self.error = _("The file is too large.")
            else:
                self.result = verify_bytes(data)
            return
        if not value:
            self.error = _("Choose a file, or paste its SHA-256 fingerprint.")
            return
        try:
            self.result = verify_hash(value)
        except BadHash:
            self.error = _(
                "This is not a SHA-256 fingerprint: "
                "it has 64 characters, digits and letters a to f."
            )

    def moment(self, iso):
        return paris_moment(iso)
