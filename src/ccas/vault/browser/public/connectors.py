"""``/mon-coffre/connecteurs``: papers the CCAS fetches for the person, with their agreement.

For each connector the CCAS switched on: what is fetched and from whom (the information
notice), the person's agreement (the form asks what the connector needs: e.g. the birth
commune's code), « Récupérer maintenant », and a link to withdraw the agreement, which
« Qui a accès » shows too.  ``connecteurs/retirer`` (POST) withdraws it.  The work is done by
:mod:`ccas.vault.api.connectors` (decision 0051).
"""

from ccas.vault import _
from ccas.vault.api import connectors as connector_api
from ccas.vault.browser.public.owner_pages import OwnerPage
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile
from zExceptions import NotFound
from zope.interface import alsoProvides


DONE = {
    "accord": _("Your agreement is recorded."),
    "retire": _("Your agreement is withdrawn. Nothing more is fetched."),
    "papier": _("The paper is in your papers, certified by the CCAS."),
    "rien": _("Nothing new: the paper you have is up to date."),
}


class ConnectorsPage(OwnerPage):
    """``coffre-connecteurs`` and ``connecteurs/retirer``."""

    section = "ajouter"
    template = ViewPageTemplateFile("templates/connecteurs.pt")
    subpaths = ("retirer", "reponse")

    def done(self):
        return DONE.get(self.request.form.get("fait"))

    def connectors(self):
        """The connectors switched on, with the person's agreement when there is one."""
        found = []
        for item in connector_api.offered_to_person(self.vault):
            record = item["consent"]
            item["given"] = self.moment(record["given_at"]) if record else ""
            item["values"] = dict(record["person"]) if record else {}
            item["papers"] = [
                {
                    "title": document.title,
                    "answer_url": self.url("connecteurs/reponse", papier=document.UID()),
                }
                for document in connector_api.papers_received(self.vault, item["name"])[:6]
            ]
            found.append(item)
        return found

    def update(self):
        form = self.request.form
        if self.subpath == ["reponse"]:
            return self._answer(str(form.get("papier") or ""))
        if self.subpath == ["retirer"]:
            self.check_post()
            connector_api.revoke(self.vault, form.get("connector", ""))
            back = "acces" if form.get("retour") == "acces" else "connecteurs"
            return self.redirect(back, fait="connecteur-retire" if back == "acces" else "retire")
        if self.request.method != "POST":
            return None
        self.check_post()
        name = form.get("connector", "")
        try:
            if form.get("consent"):
                connector_api.give(
                    self.vault,
                    name,
                    {key[7:]: value for key, value in form.items() if key.startswith("person_")},
                    scheduled=bool(form.get("scheduled")),
                )
                return self.redirect("connecteurs", fait="accord")
            if form.get("fetch"):
                results = connector_api.fetch(self.vault, name)
                created = any(new for _document, new in results)
                return self.redirect("connecteurs", fait="papier" if created else "rien")
        except connector_api.ConnectorError as error:
            self.add_error(f"connector-{name}", error.message_fr)
        return None

    def _answer(self, uid):
        """The answer kept beside one of the person's papers (JSON, as received)."""
        found = connector_api.answer_of(self.vault, uid) if uid else None
        if found is None:
            raise NotFound(uid)
        _document, file = found
        alsoProvides(self.request, IDisableCSRFProtection)  # a GET that writes its trace
        response = self.request.response
        response.setHeader("Content-Type", "application/json; charset=utf-8")
        response.setHeader("Content-Disposition", f'attachment; filename="{file.filename}"')
        response.setHeader("Cache-Control", "private, no-store")
        response.setHeader("X-Content-Type-Options", "nosniff")
        return file.data
