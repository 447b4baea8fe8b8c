"""@@mandate-form on a mandate: the printable mandate form (PDF, French).

Declared ``zope2.Public``: the agents named in a mandate hold no View on it;
the view lets only the person and those agents through (``Unauthorized``
otherwise, which sends others to the login page).
"""

from ccas.vault.services.mandates.form import pdf_response
from Products.Five.browser import BrowserView


class MandateFormView(BrowserView):
    def __call__(self):
        return pdf_response(self.context, self.request)
