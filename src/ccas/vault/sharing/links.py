"""Share links: papers given to a named recipient for a limited time, without an account.

Who: the owner shares any of their papers; an agent holding the share scope
(``VaultSharer`` on the shared space) shares papers of the shared space only,
on the owner's behalf (``on_behalf_of`` in the history).  The vault must be open.

The token (``secrets.token_urlsafe(32)``, 256 bits) is shown once; only its
SHA-256 is kept, in the link and in an index on the vault directory
(``token hash -> "vault id/link id"``).  The optional access code (6 digits)
is kept as a salted scrypt hash; 5 wrong codes lock the link for 15 minutes.
Workflow: active → expired (clock, or on first use past its end) | revoked;
only the system fires the transitions.  Nothing here writes a token into the
history: entries name the link by its id.
"""

from AccessControl import Unauthorized
from Acquisition import aq_base
from Acquisition import aq_parent
from BTrees.OOBTree import OOBTree
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.api.errors import VaultError
from ccas.vault.content.share_link import DURATIONS
from ccas.vault.content.share_link import IShareLink
from ccas.vault.content.spaces import IPrivateSpace
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault_document import IVaultDocument
from ccas.vault.hashing import scrypt_hash
from ccas.vault.hashing import scrypt_matches
from ccas.vault.history import api as history
from ccas.vault.ids import new_id
from ccas.vault.lookup import space_of
from ccas.vault.lookup import vault_of
from ccas.vault.security import as_system
from ccas.vault.settings import get_setting
from ccas.vault.sharing.watermark import SHAREABLE
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from plone import api
from Products.CMFPlone.utils import _createObjectByType
from zope.component.hooks import getSite
import hashlib
import hmac
import secrets


TOKEN_INDEX = "_ccas_share_tokens"  # on the directory: sha256(token) -> "vault id/link id"
MAX_FAILURES = 5
LOCK_MINUTES = 15
CODE_ROUTE = "share_code"  # wrong codes per client address, all links together
RECIPIENT_MAX = 120
MAX_DOCUMENTS = 20


# --- typed errors of opening a link ---------------------------------------------------


class LinkError(VaultError):
    """A link that cannot be used now; ``status`` is the HTTP answer."""

    status = 400


class LinkUnknown(LinkError):
    code = "link_unknown"
    status = 404

    def __init__(self):
        super().__init__(
            "This link does not exist",
            "Ce lien n'existe pas. Vérifiez que vous avez copié le lien en entier.",
        )


class LinkRevoked(LinkError):
    code = "link_revoked"
    status = 410

    def __init__(self):
        super().__init__(
            "This link was stopped by the person who shared it",
            "Ce lien a été arrêté par la personne qui l'a partagé. "
            "Demandez-lui de vous envoyer un nouveau lien.",
        )


class LinkExpired(LinkError):
    code = "link_expired"
    status = 410

    def __init__(self):
        super().__init__(
            "This link has expired",
            "Ce lien n'est plus valable : sa durée est terminée. "
            "Demandez à la personne de vous envoyer un nouveau lien.",
        )


class LinkMandateEnded(LinkError):
    """An agent made the link for the person; that agent's mandate (share scope) has ended."""

    code = "link_mandate_ended"
    status = 410

    def __init__(self):
        super().__init__(
            "This link was made under a mandate that has ended",
            "Ce lien n'est plus valable : il avait été fait par un agent dont le mandat "
            "est terminé. Demandez à la personne de vous envoyer un nouveau lien.",
        )


class LinkReplaced(LinkError):
    """A paper of the link was replaced by a newer version: the link stops (decision 0037)."""

    code = "link_replaced"
    status = 410

    def __init__(self):
        super().__init__(
            "A paper of this link was replaced by a newer version",
            "Ce document a été remplacé par une version plus récente ; demandez un nouveau lien.",
        )


#: why a link was stopped by the vault itself -> the recipient's error
STOP_ERRORS = {"mandate_ended": LinkMandateEnded, "replaced": LinkReplaced}
STOP_NOTICES = {
    "mandate_ended": "Un lien de partage fait par un agent pour vous a été arrêté : "
    "son mandat est terminé.",
    "replaced": "Un lien de partage a été arrêté : un de ses papiers a été remplacé par une "
    "version plus récente. Faites un nouveau lien si besoin.",
}


class LinkLocked(LinkError):
    code = "link_locked"
    status = 429

    def __init__(self, until):
        self.until = until
        local = until.astimezone(clock.PARIS).strftime("%H:%M")
        super().__init__(
            f"Too many wrong codes: the link is locked until {until.isoformat()}",
            f"Trop de codes faux. Le lien est bloqué jusqu'à {local}. Réessayez après.",
        )


class CodeRequired(LinkError):
    code = "code_required"
    status = 200

    def __init__(self):
        super().__init__("This link needs its access code", "Tapez le code d'accès à 6 chiffres.")


class WrongCode(LinkError):
    code = "wrong_code"
    status = 403

    def __init__(self, left):
        self.left = left
        super().__init__(
            f"Wrong access code ({left} tries left)",
            f"Ce code n'est pas le bon. Il vous reste {left} essai(s).",
        )


# --- helpers --------------------------------------------------------------------------


def token_hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now():
    return clock.paris_now().astimezone(UTC)


def _directory(vault):
    return aq_parent(vault)


def _token_index(directory):
    index = getattr(aq_base(directory), TOKEN_INDEX, None)
    if index is None:
        index = OOBTree()
        setattr(directory, TOKEN_INDEX, index)
    return index


def expires_at(duration, now):
    """When a link made at ``now`` (aware) for ``duration`` ends, ``None`` until revoked."""
    if duration == "3h":
        return now + timedelta(hours=3)
    if duration == "1d":
        return now + timedelta(days=1)
    if duration == "7d":
        return now + timedelta(days=7)
    if duration == "1m":
        from ccas.vault.document_types import add_months

        local = now.astimezone(clock.PARIS)
        day = add_months(local.date(), 1)
        return datetime.combine(day, local.timetz()).astimezone(UTC)
    return None


ELIDED = tuple("AEIOUYÀÂÉÈÊËÎÏÔÙÛaeiouyàâéèêëîïôùû")


def vault_of_the_ccas():
    """``du CCAS de Démoville`` (``d'Orléans``) from the city's name; without one, the
    CCAS's name as printed on its sheets, never ``CCAS de CCAS de …`` (issue 20)."""
    from ccas.vault.settings import ccas_identity

    city = (get_setting("city_name") or "").strip()
    if city:
        return f"du CCAS d'{city}" if city.startswith(ELIDED) else f"du CCAS de {city}"
    name = ccas_identity()["name"].strip()
    return f"du {name}" if name.startswith("CCAS ") else f"— {name}"


def watermark_text(link, now=None):
    """``Copie transmise à … le 23/11/2026 — coffre-fort numérique du CCAS de …``."""
    day = (now or clock.paris_now()).astimezone(clock.PARIS).strftime("%d/%m/%Y")
    return (
        f"Copie transmise à {link.recipient} le {day} — coffre-fort numérique {vault_of_the_ccas()}"
    )


def is_owner(vault):
    """The person whose vault it is (never a Manager as such)."""
    if vault is None or api.user.is_anonymous():
        return False
    user = api.user.get_current()
    return user.getUserName() == vault.owner_login and roles.VAULT_OWNER in api.user.get_roles(
        user=user, obj=vault
    )


def is_sharer(vault):
    """An agent holding the share scope in force on the vault's shared space (vault open)."""
    if vault is None or api.user.is_anonymous():
        return False
    shared = vault.get(SHARED_SPACE_ID)
    return shared is not None and bool(api.user.has_permission(permissions.SHARE, obj=shared))


def links_of(vault):
    return [obj for obj in vault.objectValues() if IShareLink.providedBy(obj)]


def documents_of(link):
    """The papers of a link still in its vault (unrestricted: the link decides)."""
    vault = vault_of(link)
    catalog = api.portal.get_tool("portal_catalog")
    found = []
    for uid in link.document_uids:
        brains = catalog.unrestrictedSearchResults(UID=uid, path="/".join(vault.getPhysicalPath()))
        if brains:
            found.append(brains[0]._unrestrictedGetObject())
    return found


def _only_shared(documents):
    return all(not IPrivateSpace.providedBy(space_of(doc)) for doc in documents)


def may_manage(link):
    """Whether the current user sees (and may revoke) ``link``.

    The owner sees every link; an agent with the share scope sees the links
    whose papers are all in the shared space.  Nobody else.
    """
    vault = vault_of(link)
    if is_owner(vault):
        return True
    return is_sharer(vault) and _only_shared(documents_of(link))


def visible_links(vault):
    """The links the current user may see, or ``None`` if they may see none at all."""
    if is_owner(vault):
        return links_of(vault)
    if is_sharer(vault):
        return [link for link in links_of(vault) if _only_shared(documents_of(link))]
    return None


def effective_state(link, now=None):
    state = api.content.get_state(link)
    if state == "active" and _is_past(link, now or _now()):
        return "expired"
    if state == "active" and stop_reason(link) is not None:
        return "revoked"
    return state


def _creator_may_share(link):
    """Whether the agent who made ``link`` still holds the share scope in force on its vault.

    The shared space's local roles come from the mandates' roster, counted
    only within each mandate's dates (``ccas.vault.workspace.MandateRoles``):
    a revoked, withdrawn or expired mandate, or one past its end date before
    the clock ran, gives no ``Share document`` any more.
    """
    shared = vault_of(link).get(SHARED_SPACE_ID)
    user = api.user.get(userid=link.created_by) if link.created_by else None
    if shared is None or user is None:
        return False
    with api.env.adopt_user(user=user):
        return bool(api.user.has_permission(permissions.SHARE, obj=shared))


def stop_reason(link):
    """Why an active ``link`` may not serve any more, or ``None`` (decision 0037).

    ``mandate_ended``: an agent made it on the person's behalf and no longer
    holds the share scope on the vault.  ``replaced``: one of its papers was
    replaced by a newer version (the recipient was promised that version).
    """
    if getattr(link, "on_behalf_of", "") and not _creator_may_share(link):
        return "mandate_ended"
    if any(api.content.get_state(doc) == "superseded" for doc in documents_of(link)):
        return "replaced"
    return None


def stop(link, why, actor=None):
    """The vault stops ``link`` (``why``: a key of :data:`STOP_ERRORS`), traced and told."""
    vault = vault_of(link)
    with as_system():
        api.content.transition(obj=link, transition="revoke")
        link.ended = {"when": _now().isoformat(), "why": why, "by": actor or "system"}
    history.record(
        vault,
        "share_stopped",
        actor=actor,
        details={"link": link.getId(), "recipient": link.recipient, "why": why},
        on_behalf_of=link.on_behalf_of,
    )
    from ccas.vault.api.mandates import _notice

    _notice(vault, STOP_NOTICES[why])


def stop_links_that_may_not_serve(vault, actor=None):
    """Stop every active link of ``vault`` that :func:`stop_reason` refuses; return how many."""
    count = 0
    for link in links_of(vault):
        if api.content.get_state(link) != "active":
            continue
        why = stop_reason(link)
        if why is not None:
            stop(link, why, actor)
            count += 1
    return count


def _is_past(link, now):
    return link.expires is not None and datetime.fromisoformat(link.expires) <= now


def _refuse(message, message_fr, code):
    raise VaultError(message, message_fr, code=code)


# --- creating and revoking --------------------------------------------------------------


def _check_documents(vault, documents, owner):
    if not documents:
        _refuse("Choose at least one paper", "Choisissez au moins un papier.", "no_document")
    if len(documents) > MAX_DOCUMENTS:
        _refuse(
            f"At most {MAX_DOCUMENTS} papers per link",
            f"Un lien peut contenir {MAX_DOCUMENTS} papiers au plus.",
            "too_many_documents",
        )
    for document in documents:
        in_vault = aq_base(vault_of(document)) is aq_base(vault)
        if not IVaultDocument.providedBy(document) or not in_vault:
            _refuse(
                "Not a paper of this vault",
                "Ce papier n'est pas dans ce coffre.",
                "unknown_document",
            )
        if owner and api.content.get_state(document) == "superseded":
            _refuse(
                "This paper was replaced by a newer version",
                "Ce papier a été remplacé par une version plus récente. Partagez la nouvelle.",
                "superseded",
            )
        if not api.user.has_permission(permissions.SHARE, obj=document):
            raise Unauthorized(f"{permissions.SHARE!r} is needed on {document.getId()!r}")
        if not owner and IPrivateSpace.providedBy(space_of(document)):
            raise Unauthorized("Agents never share papers of the private space")
        file = document.file
        if file is None or file.contentType not in SHAREABLE:
            _refuse(
                "Only PDF files and photos can be shared by link",
                "Seuls les PDF et les photos peuvent être partagés par lien.",
                "not_shareable",
            )


def create_link(vault, documents, recipient, duration, with_code=False):
    """Create a link to ``documents`` for ``recipient``; return ``(link, token, code)``.

    ``code`` is ``None`` without ``with_code``.  The token and the code are
    returned once and never stored.  Raises ``Unauthorized`` for who may not
    share one of the papers, ``VaultError`` for a bad request.
    """
    owner = is_owner(vault)
    if not owner and not is_sharer(vault):
        raise Unauthorized("Only the owner or an agent with the share scope shares papers")
    if api.content.get_state(vault) != "open":
        _refuse("The vault is not open", "Le coffre n'est pas ouvert.", "vault_not_open")
    recipient = (recipient or "").strip()
    if not recipient:
        _refuse(
            "Name the recipient",
            "Écrivez à qui vous donnez ce lien (par exemple : CAF de Démoville).",
            "no_recipient",
        )
    if len(recipient) > RECIPIENT_MAX:
        _refuse(
            "The recipient's name is too long",
            "Le nom du destinataire est trop long.",
            "recipient_too_long",
        )
    if duration not in DURATIONS:
        _refuse(
            f"Duration must be one of {DURATIONS}",
            "Choisissez une durée : 3 heures, 1 jour, 7 jours, 1 mois, "
            "ou jusqu'à ce que vous l'arrêtiez.",
            "bad_duration",
        )
    from ccas.vault.policies.sharing import sharing_rules  # workflow policy "sharing-rules"

    rules = sharing_rules()
    if duration not in rules["durations"]:
        _refuse(
            f"The CCAS does not offer this duration; choose among {rules['durations']}",
            "Le CCAS ne propose pas cette durée. Choisissez-en une autre dans la liste.",
            "duration_not_offered",
        )
    with_code = with_code or rules["code_required"]  # the CCAS may ask a code for every link
    documents = list(dict.fromkeys(documents))
    _check_documents(vault, documents, owner)
    user = api.user.get_current()
    now = _now()
    token = secrets.token_urlsafe(32)
    code = f"{secrets.randbelow(10**6):06d}" if with_code else None
    expires = expires_at(duration, now)
    with as_system():
        link = _createObjectByType(
            "ShareLink",
            vault,
            new_id(vault, "l", 6),
            title="Lien de partage",
            recipient=recipient,
            document_uids=[doc.UID() for doc in documents],
            duration=duration,
        )
        link.token_hash = token_hash(token)
        link.code_hash = scrypt_hash(code) if code else None
        link.created_by = user.getId()
        link.created_at = now.isoformat()
        link.on_behalf_of = "" if owner else vault.owner_login
        link.expires = expires.isoformat() if expires else None
        link.manage_delLocalRoles(list(link.users_with_local_role("Owner")))
        link.reindexObject()
        _token_index(_directory(vault))[link.token_hash] = f"{vault.getId()}/{link.getId()}"
    history.record(
        vault,
        "share",
        actor=user,
        target=documents[0] if len(documents) == 1 else None,
        details={
            "link": link.getId(),
            "recipient": recipient,
            "documents": " ".join(doc.getId() for doc in documents),
            "duration": duration,
            "expires": link.expires or "",
            "code": "yes" if code else "no",
        },
        on_behalf_of=link.on_behalf_of,
    )
    return link, token, code


def revoke(link):
    """Stop ``link`` at once (the owner, or a sharer who may see it)."""
    if not may_manage(link):
        raise Unauthorized("Only the owner or a sharer who sees the link revokes it")
    state = api.content.get_state(link)
    if state != "active":
        _refuse(
            "This link is no longer active",
            "Ce lien est déjà arrêté ou terminé.",
            "link_not_active",
        )
    vault = vault_of(link)
    user = api.user.get_current()
    with as_system():
        api.content.transition(obj=link, transition="revoke")
        link.ended = {"when": _now().isoformat(), "why": "revoked", "by": user.getId()}
    history.record(
        vault,
        "unshare",
        actor=user,
        details={"link": link.getId(), "recipient": link.recipient},
        on_behalf_of="" if is_owner(vault) else vault.owner_login,
    )
    return link


def _expire(link, actor):
    with as_system():
        api.content.transition(obj=link, transition="expire")
        link.ended = {"when": _now().isoformat(), "why": "expired", "by": actor}
    history.record(
        vault_of(link),
        "share_expired",
        actor=actor,
        details={"link": link.getId(), "recipient": link.recipient},
    )


def expire_links(portal, now=None):
    """Clock job: active links past their end become *expired*; return how many."""
    now = clock.paris_now(now).astimezone(UTC)
    catalog = portal.portal_catalog
    brains = catalog.unrestrictedSearchResults(portal_type="ShareLink", review_state="active")
    count = 0
    for brain in brains:
        link = brain._unrestrictedGetObject()
        if _is_past(link, now):
            _expire(link, clock.CLOCK_ACTOR)
            count += 1
        elif (why := stop_reason(link)) is not None:  # a mandate past its end date, a new version
            stop(link, why, clock.CLOCK_ACTOR)
            count += 1
    return count


# --- the recipient's side -----------------------------------------------------------------


def find_link(token):
    """The link of ``token`` or ``None`` (no permission check: the token is the right)."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return None
    site = getSite() or api.portal.get()
    from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID

    directory = site.get(VAULT_DIRECTORY_ID)
    if directory is None:
        return None
    path = getattr(aq_base(directory), TOKEN_INDEX, {}).get(token_hash(token))
    if not path:
        return None
    vault_id, link_id = path.split("/")
    vault = directory.get(vault_id)
    link = vault.get(link_id) if vault is not None else None
    if link is None or not hmac.compare_digest(link.token_hash, token_hash(token)):
        return None
    return link


def open_link(token, code=None):
    """The link of ``token`` if it may be used now, else raise a :class:`LinkError`.

    A wrong access code counts; the fifth in a row locks the link for
    :data:`LOCK_MINUTES` minutes (a ``share_locked`` history entry).  The
    caller must let the transaction commit so that the count is kept.
    """
    link = find_link(token)
    if link is None:
        raise LinkUnknown()
    now = _now()
    state = api.content.get_state(link)
    vault = vault_of(link)
    if state == "revoked" or api.content.get_state(vault) != "open":
        why = (getattr(link, "ended", None) or {}).get("why")
        raise STOP_ERRORS.get(why, LinkRevoked)()
    if state == "expired":
        raise LinkExpired()
    if _is_past(link, now):
        _expire(link, f"share-link:{link.getId()}")
        raise LinkExpired()
    why = stop_reason(link)  # checked at each opening, not only by the clock
    if why is not None:
        stop(link, why, f"share-link:{link.getId()}")
        raise STOP_ERRORS[why]()
    if link.locked_until and datetime.fromisoformat(link.locked_until) > now:
        raise LinkLocked(datetime.fromisoformat(link.locked_until))
    if link.code_hash:
        if not code:
            raise CodeRequired()
        code = str(code).strip().replace(" ", "")
        from ccas.vault.account.recovery import client_address
        from ccas.vault.bruteforce import throttle

        address = client_address()
        address_lock = throttle.address_locked_until(CODE_ROUTE, address)
        if address_lock is not None:  # too many wrong codes from this address (decision 0026)
            raise LinkLocked(address_lock)
        if not scrypt_matches(code, link.code_hash):
            throttle.address_failed(CODE_ROUTE, address)
            link.failures = (link.failures or 0) + 1
            if link.failures >= MAX_FAILURES:
                until = now + timedelta(minutes=LOCK_MINUTES)
                link.failures = 0
                link.locked_until = until.isoformat()
                history.record(
                    vault,
                    "share_locked",
                    actor=f"share-link:{link.getId()}",
                    details={"link": link.getId(), "until": link.locked_until},
                )
                raise LinkLocked(until)
            raise WrongCode(MAX_FAILURES - link.failures)
        if link.failures:
            link.failures = 0
    return link


def record_opening(link, documents):
    """Trace one download of ``documents`` through ``link`` (openings + vault history)."""
    now = _now()
    what = [f"{doc.Title()} ({doc.getId()})" for doc in documents]
    link.openings.append({"when": now.isoformat(), "what": what})
    history.record(
        vault_of(link),
        "share_opened",
        actor=f"share-link:{link.getId()}",
        target=documents[0] if len(documents) == 1 else None,
        details={
            "link": link.getId(),
            "recipient": link.recipient,
            "documents": " ".join(doc.getId() for doc in documents),
        },
    )


def stop_reason_if_active(link):
    return stop_reason(link) if api.content.get_state(link) == "active" else None


def link_info(link, now=None):
    """What the owner (or a sharer) is told about a link: never the token or the code."""
    documents = documents_of(link)
    return {
        "@id": link.absolute_url(),
        "id": link.getId(),
        "recipient": link.recipient,
        "documents": [
            {"UID": doc.UID(), "id": doc.getId(), "title": doc.Title()} for doc in documents
        ],
        "duration": link.duration,
        "review_state": effective_state(link, now),
        "created": link.created_at,
        "created_by": link.created_by,
        "on_behalf_of": link.on_behalf_of,
        "expires": link.expires,
        "ended_why": (getattr(link, "ended", None) or {}).get("why") or stop_reason_if_active(link),
        "with_code": bool(link.code_hash),
        "locked_until": link.locked_until,
        "openings": [dict(opening, what=list(opening["what"])) for opening in link.openings],
    }


def forget_token(link, event):
    """A link leaves the database (its vault is closed): drop its hash from the index."""
    from zope.lifecycleevent.interfaces import IObjectMovedEvent

    if IObjectMovedEvent.providedBy(event) and event.newParent is not None:
        return  # moved or renamed, not removed
    from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID

    directory = (getSite() or api.portal.get()).get(VAULT_DIRECTORY_ID)
    index = getattr(aq_base(directory), TOKEN_INDEX, None) if directory is not None else None
    if index is not None and link.token_hash in index:
        del index[link.token_hash]
