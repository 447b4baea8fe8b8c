"""GET @mandate-form on a mandate: the printable form (PDF)."""

from ccas.vault.lookup import vault_of
from ccas.vault.services.base import VaultService
from ccas.vault.services.mandates.common import check_may_see
from ccas.vault.services.mandates.pdf import mandate_pdf


def pdf_response(mandate, request):
    """Check who asks (``Unauthorized``), set the headers, return the PDF bytes."""
    check_may_see(mandate)
    data = mandate_pdf(mandate, vault_of(mandate))
    response = request.response
    response.setHeader("Content-Type", "application/pdf")
    response.setHeader("Content-Disposition", f'inline; filename="mandat-{mandate.getId()}.pdf"')
    response.setHeader("Content-Length", str(len(data)))
    response.setHeader("Cache-Control", "private, no-store")
    return data


class MandateFormGet(VaultService):
    """The same PDF as the ``@@mandate-form`` view, for the person and the named agents."""

    def reply(self):
        return pdf_response(self.context, self.request)
