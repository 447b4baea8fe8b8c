"""The watermarked preview on a paper's page in the staff intranet.

What the "consult" scope gives an agent (docs/guide-agent.md): the paper's
details and a watermarked preview, never the original.  The paper's page is
Plone's default view; this viewlet, registered with ``ccas.vault: View
preview``, shows the preview (``@@preview``, traced in the vault's history
each time it is loaded) to whoever holds that permission on the paper, and
nothing to anybody else.
"""

from ccas.vault import _
from plone.app.layout.viewlets.common import ViewletBase
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zope.i18n import translate


class PaperPreviewViewlet(ViewletBase):
    index = ViewPageTemplateFile("templates/paper_preview.pt")

    def preview_url(self):
        return f"{self.context.absolute_url()}/@@preview"

    def alt(self):
        title = self.context.Title() or self.context.getId()
        return translate(_("Preview of ${title}", mapping={"title": title}), context=self.request)
