"""Event subscribers: certification records and traces that every route must leave."""

from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.history import api as history
from ccas.vault.lookup import vault_of
from plone import api
from plone.protect.interfaces import IDisableCSRFProtection
from plone.restapi.services.content.get import ContentGet
from zope.interface import alsoProvides


def record_certification(document, event):
    """After the ``certify`` transition: seal the paper (PAdES for PDFs) and trace it.

    The certifier is ``document._v_certifier`` when set (the CCAS GED, see
    ``ccas.vault.api.documents.certify_ged_letter``), else the current user
    and their organisation.
    """
    # validate_certification: the four-eyes policy (ccas.vault.policies.four_eyes).
    if event.transition is None or event.transition.getId() not in (
        "certify",
        "validate_certification",
    ):
        return
    from ccas.vault.certification.certify import certifier_of
    from ccas.vault.certification.certify import seal_document
    from ccas.vault.certification.four_eyes import take_request

    user = api.user.get_current()
    certifier = getattr(document, "_v_certifier", None) or certifier_of(user)
    requester = take_request(document) if event.transition.getId() != "certify" else None
    certification = seal_document(document, certifier, requester=requester)
    history.record(
        vault_of(document),
        "certify",
        # ``history_actor``: the GED's account, already looked up once per batch.
        actor=(certifier.get("history_actor") or certifier["by"])
        if getattr(document, "_v_certifier", None)
        else user,
        target=document,
        details={
            "sha256": certification["sha256"],
            "key_id": certification["key_id"],
            **({"requested_by": requester["requested_by"]} if requester else {}),
        },
        organisation=certification["organisation"],
    )


def record_deletion(document, event):
    """A paper deleted on its own (not with its whole vault) leaves a trace."""
    if event.object is not document:
        return
    vault = vault_of(event.oldParent)
    if vault is not None:
        history.record(
            vault,
            "delete",
            target=None,
            details={"document": document.getId(), "title": document.title or ""},
        )


def record_login(user, event):
    """A beneficiary logging in leaves a trace in their own vault."""
    from ccas.vault.api.vaults import vault_of as vault_of_login

    vault = vault_of_login(user.getUserName())
    if vault is not None:
        history.record(vault, "login", actor=user.getId())


def _viewed_document(request):
    """The paper a successful GET showed as a page or as REST metadata, or ``None``."""
    if request.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        return None
    if request.response.getStatus() != 200:
        return None
    published = request.get("PUBLISHED")
    context = getattr(published, "context", None)
    if IVaultDocument.providedBy(published):
        return published
    if not IVaultDocument.providedBy(context):
        return None
    if isinstance(published, ContentGet) or getattr(published, "__name__", "") == "view":
        return context
    return None


def record_view(event):
    """Reading a paper's page or its metadata (REST) is traced as ``view``."""
    document = _viewed_document(event.request)
    if document is None:
        return
    alsoProvides(event.request, IDisableCSRFProtection)  # a trace written on a GET
    history.record(vault_of(document), "view", target=document)
