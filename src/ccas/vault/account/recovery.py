"""A lost password: three routes to a new one, which the person always types themself.

Routes (brief §3 rule 4, decision 0016):

* **e-mail** — :func:`start_email_reset` mails a link (valid 1 hour) when the
  person's vault has an address; the answer is the same whether the login
  exists or not;
* **questions** — :func:`check_questions` compares the answers to the
  personal questions chosen at opening (salted scrypt hashes of normalised
  answers) and gives a short-lived token (15 minutes);
* **assisted** — an agent holding the account-help scope on the vault
  (:func:`start_assisted_reset`) has a one-time code (valid 24 hours) sent by
  SMS, or printed for the person; the agent never chooses nor sees the
  password.  A printed code needs the person's date of birth and something
  the agent cannot have (decisions 0035, 0043): a second part sent to the
  person's phone or e-mail; for a person without either, the answer to one of
  their personal questions, or — without questions — a second CCAS agent's
  confirmation (:func:`confirm_assisted_reset`, four eyes).

:func:`set_password_with` takes a token (e-mail link, questions) or a login,
a code and the date of birth, checks Plone's password policy, sets the
password and ends every other pending reset of the account.

Secrets are stored hashed only (SHA-256 of the 256-bit tokens, salted scrypt
of the short codes and of the answers), never written to the history nor to
the logs.  Each route is rate-limited per account and per client address
(:data:`MAX_ATTEMPTS` in :data:`WINDOW`, then locked for :data:`LOCK`; the
lock is traced), and counted per month for the indicators (aggregates only).
"""

from Acquisition import aq_base
from BTrees.Length import Length
from BTrees.OOBTree import OOBTree
from ccas.vault import _
from ccas.vault import clock
from ccas.vault import permissions
from ccas.vault.accounts import get_account
from ccas.vault.accounts import password_failure
from ccas.vault.accounts import set_password
from ccas.vault.api.errors import VaultError
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.hashing import scrypt_hash
from ccas.vault.hashing import scrypt_matches
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import UTC
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping
from plone import api
from unidecode import unidecode
from zope.annotation.interfaces import IAnnotations
from zope.i18n import translate
from zope.i18nmessageid import Message
import hashlib
import hmac
import logging
import re
import secrets


logger = logging.getLogger("ccas.vault.account")

EMAIL_LIFETIME = timedelta(hours=1)
CODE_LIFETIME = timedelta(hours=24)
QUESTIONS_LIFETIME = timedelta(minutes=15)
MAX_ATTEMPTS = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
KEEP = timedelta(days=7)  # ended resets are forgotten after this

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 8
#: the printed code's second part, sent on the person's own channel (decision 0035)
PART_LENGTH = 4

#: rate-limited routes (``assist``: starts by agents, against SMS flooding)
ROUTES = ("email", "questions", "code", "assist")
#: indicator routes (a code is counted by how it was handed over)
INDICATOR_ROUTES = ("email", "questions", "code_sms", "code_print")
MINIMUM_QUESTIONS = 2

RESETS = "_ccas_pending_resets"  # on a vault: PersistentList of resets
QUESTIONS = "recovery_questions"  # on a vault: PersistentList of {id, hash}
TOKENS = "_ccas_reset_tokens"  # on the directory: sha256(token) -> vault id
THROTTLE = "_ccas_recovery_throttle"  # on the directory: key -> {failures, locked_until}
INDICATORS = "ccas.vault.account.indicators"  # annotation: month -> counter -> Length

#: the personal questions a person may choose at opening (id -> question)
QUESTION_TEXTS = {
    "mother_first_name": _("What is your mother's first name?"),
    "birth_town": _("In which town were you born?"),
    "first_school": _("What was the name of your first school?"),
    "childhood_friend": _("What is the first name of your best friend as a child?"),
    "first_pet": _("What was the name of your first pet?"),
    "favourite_dish": _("What is your favourite dish?"),
}

#: the question a printed code asks (decision 0043): the first of the person's in this order;
#: answers written on papers a vault may hold (the birth town on the identity card, the
#: mother's first name on civil-status papers) come last
CODE_QUESTION_ORDER = (
    "first_pet",
    "childhood_friend",
    "first_school",
    "favourite_dish",
    "mother_first_name",
    "birth_town",
)
#: what a printed code for a person without phone nor e-mail needs besides the date of birth
NEEDS_ANSWER = "answer"
NEEDS_CONFIRMATION = "confirmation"


class RecoveryRefused(VaultError):
    """A refused step of a password reset (English message, French ``message_fr``)."""

    code = "recovery_refused"


class RecoveryLocked(RecoveryRefused):
    code = "recovery_locked"

    def __init__(self, until):
        local = until.astimezone(clock.PARIS).strftime("%H:%M")
        super().__init__(
            f"Too many attempts: try again after {until.isoformat()}",
            f"Trop d'essais. Attendez {local}, puis recommencez. "
            "Vous pouvez aussi demander de l'aide à l'accueil du CCAS.",
        )
        self.until = until


WRONG_CODE = (
    "This code does not work",
    "Ce code ne marche pas. Vérifiez votre identifiant, le code, votre date de naissance "
    "et, si le papier le demande, votre réponse, puis recommencez.",
    "wrong_code",
)
WRONG_LINK = (
    "This link does not work",
    "Ce lien ne marche pas. Demandez un nouveau lien sur la page « Mot de passe oublié ».",
    "wrong_token",
)
EXPIRED = (
    "This code or link is no longer valid",
    "Ce code n'est plus valable. Demandez un nouveau code ou un nouveau lien.",
    "expired",
)
USED = (
    "This code or link was already used",
    "Ce code a déjà servi. Demandez un nouveau code ou un nouveau lien.",
    "already_used",
)
WRONG_ANSWERS = (
    "The answers do not match",
    "Les réponses ne correspondent pas. Vérifiez l'orthographe, puis recommencez.",
    "wrong_answers",
)


def _refuse(reason):
    message, message_fr, code = reason
    return RecoveryRefused(message, message_fr, code=code)


# --- small helpers --------------------------------------------------------------------


def _now():
    return clock.paris_now().astimezone(UTC)


def _directory():
    from ccas.vault.api.vaults import vault_directory

    return vault_directory()


def _vault_of_login(login):
    from ccas.vault.api.vaults import vault_of

    return vault_of(login) if login else None


def normalise_login(login):
    return (login or "").strip()


def normalise_answer(text):
    """Case, accents, spaces and punctuation do not count: ``Saint-Étienne`` = ``saint etienne``."""
    return "".join(c for c in unidecode(text or "").lower() if c.isalnum())


def normalise_code(code):
    return "".join(c for c in (code or "").upper() if c.isalnum())


_DUMMY_HASH = "scrypt$" + "00" * 16 + "$" + "00" * 32


def _sha256(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _tree(obj, name):
    tree = getattr(aq_base(obj), name, None)
    if tree is None:
        tree = OOBTree()
        setattr(obj, name, tree)
    return tree


def new_code():
    """A one-time code, 8 characters easy to read aloud, shown as ``ABCD-EFGH``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def client_address(request=None):
    """The client's address of the current request (``""`` outside a request)."""
    if request is None:
        from zope.globalrequest import getRequest

        request = getRequest()
    getter = getattr(request, "getClientAddr", None)
    return (getter() if getter else "") or ""


# --- indicators ------------------------------------------------------------------------


def count(route, event, now=None):
    """Add one to ``<route>.<event>`` of this month (``event``: started, completed, locked)."""
    directory = _directory()
    annotations = IAnnotations(directory)
    months = annotations.get(INDICATORS)
    if months is None:
        months = annotations[INDICATORS] = OOBTree()
    month = (now or clock.paris_now()).astimezone(clock.PARIS).strftime("%Y-%m")
    counters = months.get(month)
    if counters is None:
        counters = months[month] = OOBTree()
    key = f"{route}.{event}"
    if key not in counters:
        counters[key] = Length(0)
    counters[key].change(1)


def indicators(month=None):
    """``{month: {"email.started": n, …}}`` (or one month's counters): aggregates only."""
    months = IAnnotations(_directory()).get(INDICATORS) or {}
    found = {m: {k: v() for k, v in counters.items()} for m, counters in months.items()}
    return found.get(month, {}) if month else found


# --- rate limiting ---------------------------------------------------------------------


def _throttle_keys(route, login, address):
    keys = []
    if login:
        keys.append(f"{route}|login:{login.lower()}")
    if address:
        keys.append(f"{route}|addr:{address}")
    return keys


def _entry(tree, key):
    entry = tree.get(key)
    if entry is None:
        entry = tree[key] = PersistentMapping(failures=PersistentList(), locked_until=None)
    return entry


def check_not_locked(route, login, address):
    """Raise :class:`RecoveryLocked` when the account or the address is locked for ``route``."""
    tree = getattr(aq_base(_directory()), THROTTLE, None)
    if tree is None:
        return
    now = _now()
    for key in _throttle_keys(route, login, address):
        entry = tree.get(key)
        if entry and entry["locked_until"]:
            until = datetime.fromisoformat(entry["locked_until"])
            if until > now:
                raise RecoveryLocked(until)


def attempt(route, login, address, address_limit=MAX_ATTEMPTS):
    """Count one attempt on ``route``; lock (and trace) at the :data:`MAX_ATTEMPTS`-th in a window.

    An address is locked at its ``address_limit``-th attempt (several people may
    share one address, e.g. the CCAS's public computers).  Returns ``True``
    when this attempt locked the account or the address.
    """
    directory = _directory()
    tree = _tree(directory, THROTTLE)
    now = _now()
    locked = False
    actor = "Anonymous User" if api.user.is_anonymous() else None  # None: the current user
    for key in _throttle_keys(route, login, address):
        entry = _entry(tree, key)
        recent = [when for when in entry["failures"] if datetime.fromisoformat(when) > now - WINDOW]
        recent.append(now.isoformat())
        entry["failures"] = PersistentList(recent)
        if len(recent) >= (address_limit if "|addr:" in key else MAX_ATTEMPTS):
            entry["locked_until"] = (now + LOCK).isoformat()
            entry["failures"] = PersistentList()
            locked = True
            details = {"route": route, "until": entry["locked_until"]}
            if "|login:" in key:
                vault = _vault_of_login(login)
                if vault is not None:
                    details["scope"] = "account"
                    history.record(vault, "account_locked", actor=actor, details=details)
            else:
                details["scope"] = "address"
                history.record(directory, "account_locked", actor=actor, details=details)
    if locked:
        count(route, "locked")
    return locked


def purge_throttle(now=None):
    """Forget entries with neither recent failures nor a running lock (run by the clock)."""
    tree = getattr(aq_base(_directory()), THROTTLE, None)
    if tree is None:
        return 0
    now = clock.paris_now(now).astimezone(UTC)
    purged = 0
    for key in list(tree.keys()):
        entry = tree[key]
        locked = entry["locked_until"] and datetime.fromisoformat(entry["locked_until"]) > now
        fresh = any(datetime.fromisoformat(w) > now - WINDOW for w in entry["failures"])
        if not locked and not fresh:
            del tree[key]
            purged += 1
    return purged


# --- pending resets -------------------------------------------------------------------


def _resets(vault):
    resets = getattr(aq_base(vault), RESETS, None)
    if resets is None:
        resets = PersistentList()
        setattr(vault, RESETS, resets)
    return resets


def _new_reset(
    vault,
    route,
    lifetime,
    *,
    secret_hash,
    started_by="",
    delivery="",
    part_hash="",
    part_to="",
    needs="",
):
    now = _now()
    resets = _resets(vault)
    for old in list(resets):  # forget resets ended long ago
        if datetime.fromisoformat(old["expires"]) < now - KEEP:
            resets.remove(old)
    reset = PersistentMapping(
        id=secrets.token_hex(6),
        route=route,
        delivery=delivery,
        hash=secret_hash,
        created=now.isoformat(),
        expires=(now + lifetime).isoformat(),
        started_by=started_by,
        ended=None,  # "used" or "superseded"
    )
    if part_hash:  # a printed code's second part, sent to the person (decision 0035)
        reset["part_hash"] = part_hash
        reset["part_to"] = part_to
    if needs:  # a printed code for a person without channel (decision 0043)
        reset["needs"] = needs
        if needs == NEEDS_CONFIRMATION:
            reset["confirmed_by"] = ""
    resets.append(reset)
    return reset


def _end_all(vault, used=None):
    """End every pending reset of ``vault`` (``used``: the one that served)."""
    now = _now().isoformat()
    tokens = getattr(aq_base(_directory()), TOKENS, None)
    for reset in _resets(vault):
        if reset["ended"] is None:
            reset["ended"] = "used" if reset is used else "superseded"
            reset["ended_at"] = now
        if tokens is not None and reset["route"] in ("email", "questions"):
            tokens.pop(reset["hash"], None)


def pending_resets(vault):
    """Pending resets (route, delivery, expiry, who started them; for a printed code without
    channel what it needs and who confirmed it): never a secret."""
    now = _now()
    keys = ("route", "delivery", "created", "expires", "started_by")
    return [
        {
            **{k: reset[k] for k in keys},
            **{k: reset[k] for k in ("id", "needs", "confirmed_by") if k in reset},
        }
        for reset in _resets(vault)
        if reset["ended"] is None and datetime.fromisoformat(reset["expires"]) > now
    ]


def _issue_token(vault, route, lifetime):
    token = secrets.token_urlsafe(32)
    digest = _sha256(token)
    _new_reset(vault, route, lifetime, secret_hash=digest)
    _tree(_directory(), TOKENS)[digest] = vault.getId()
    return token


# --- route 1: e-mail ------------------------------------------------------------------


def recovery_email(vault):
    """The address a reset link goes to: the vault's e-mail, else the account's."""
    if getattr(vault, "email", None):
        return vault.email
    member = get_account(vault.owner_login)
    return (member.getProperty("email", "") if member is not None else "") or None


def forgotten_url():
    return f"{api.portal.get().absolute_url()}/mon-coffre/mot-de-passe-oublie"


def _send_secret_after_commit(succeeded, phone, text):
    from ccas.vault.notifications.sms import ISMSGateway
    from ccas.vault.notifications.sms import masked
    from zope.component import getUtility

    if not succeeded:
        return
    try:  # no gateway logs a message's text (notifications/sms.py)
        getUtility(ISMSGateway).send(phone, text)
    except Exception:  # the commit is done: log, never raise
        logger.exception("SMS to %s not sent", masked(phone))


def send_secret_sms(phone, text):
    """An SMS carrying a one-time code, sent after commit (never before the code is stored)."""
    import transaction

    transaction.get().addAfterCommitHook(_send_secret_after_commit, args=(phone, text))


def reset_url(token):
    return f"{api.portal.get().absolute_url()}/mon-coffre/nouveau-mot-de-passe?jeton={token}"


def _message(msgid, language, mapping=None):
    language = language if language in ("fr", "en") else "fr"
    if mapping:
        msgid = Message(msgid, mapping=mapping)  # a message's own mapping wins in translate
    return translate(msgid, domain="ccas.vault", target_language=language)


def start_email_reset(login, address=None):
    """Mail a reset link (1 hour) when ``login`` has a vault with an address; return nothing.

    Unknown login, no address, a closed vault, the limit reached: the caller
    gets the same (no) answer, so nobody learns whether an account exists.
    """
    from ccas.vault.notifications.mail import send_mail

    login = normalise_login(login)
    address = client_address() if address is None else address
    try:
        check_not_locked("email", login, address)
    except RecoveryLocked:
        return
    attempt("email", login, address)
    vault = _vault_of_login(login)
    if vault is None or api.content.get_state(vault) not in ("open", "awaiting_consent"):
        return
    to = recovery_email(vault)
    if not to:
        return
    with as_system():
        token = _issue_token(vault, "email", EMAIL_LIFETIME)
        history.record(
            vault, "password_reset_started", actor="Anonymous User", details={"route": "email"}
        )
    language = getattr(vault, "preferred_language", "fr")
    subject = _message(_("Choose a new password"), language)
    body = _message(
        _(
            "Someone asked for a new password for your vault. To choose it, open this link "
            "within one hour: ${url} If you did not ask for it, do nothing: your password "
            "stays the same."
        ),
        language,
        {"url": f"\n\n{reset_url(token)}\n\n"},
    )
    send_mail(to, subject, body)
    count("email", "started")


# --- route 2: personal questions ------------------------------------------------------


def question_text(question_id, language="fr"):
    return _message(QUESTION_TEXTS[question_id], language)


def check_answers(answers):
    """Refuse unknown questions, fewer than two, or too short answers; return the kept ones."""
    answers = {k: v for k, v in (answers or {}).items() if (v or "").strip()}
    unknown = set(answers) - set(QUESTION_TEXTS)
    if unknown:
        raise RecoveryRefused(
            f"Unknown questions: {', '.join(sorted(unknown))}",
            "Cette question n'existe pas. Choisissez une question de la liste.",
            code="unknown_question",
        )
    if answers and len(answers) < MINIMUM_QUESTIONS:
        raise RecoveryRefused(
            f"Choose at least {MINIMUM_QUESTIONS} questions",
            f"Choisissez au moins {MINIMUM_QUESTIONS} questions et répondez à chacune.",
            code="too_few_questions",
        )
    for question_id, answer in answers.items():
        if len(normalise_answer(answer)) < 2:
            raise RecoveryRefused(
                f"The answer to {question_id!r} is too short",
                "Une réponse est trop courte. Écrivez au moins 2 lettres ou chiffres.",
                code="answer_too_short",
            )
    return answers


def set_questions(vault, answers):
    """Keep the person's answers (``{question id: answer}``, at least two) as salted hashes."""
    answers = check_answers(answers)
    stored = PersistentList(
        PersistentMapping(id=question_id, hash=scrypt_hash(normalise_answer(answer)))
        for question_id, answer in sorted(answers.items())
    )
    with as_system():
        setattr(vault, QUESTIONS, stored)
    return [item["id"] for item in stored]


def chosen_questions(vault):
    """The ids of the questions the person chose (never the answers)."""
    return [item["id"] for item in (getattr(aq_base(vault), QUESTIONS, None) or ())]


def _decoy_questions(login):
    """Questions shown for a login without any: always the same two for the same login."""
    secret = api.portal.get().getId() + "|" + getattr(_directory(), "UID", lambda: "")()
    seed = hmac.new(secret.encode(), login.lower().encode(), hashlib.sha256).digest()
    ids = sorted(QUESTION_TEXTS)
    first = seed[0] % len(ids)
    second = (first + 1 + seed[1] % (len(ids) - 1)) % len(ids)
    return sorted((ids[first], ids[second]))


def questions_for(login):
    """The question ids to ask for ``login``: the person's, or decoys (no account enumeration)."""
    login = normalise_login(login)
    vault = _vault_of_login(login)
    chosen = chosen_questions(vault) if vault is not None else []
    return chosen or _decoy_questions(login)


def code_question(login):
    """The question a printed code asks for ``login`` (decision 0043): the first of the
    person's questions in :data:`CODE_QUESTION_ORDER`, or of the decoys — always the same."""
    return min(questions_for(login), key=CODE_QUESTION_ORDER.index)


def check_questions(login, answers, address=None):
    """Check the answers; return a token (15 minutes) to choose the new password.

    Wrong answers, an unknown login or no questions chosen: the same refusal,
    counted for the rate limit.
    """
    login = normalise_login(login)
    address = client_address() if address is None else address
    check_not_locked("questions", login, address)
    vault = _vault_of_login(login)
    stored = getattr(aq_base(vault), QUESTIONS, None) if vault is not None else None
    if stored:
        count("questions", "started")
    ok = bool(stored) and api.content.get_state(vault) in ("open", "awaiting_consent")
    if not stored:  # the same work as a real check: the time tells nothing either
        for _question in range(MINIMUM_QUESTIONS):
            scrypt_matches("", _DUMMY_HASH)
    for item in stored or ():
        given = normalise_answer((answers or {}).get(item["id"], ""))
        ok = scrypt_matches(given, item["hash"]) and ok
    if not ok:
        attempt("questions", login, address)
        raise _refuse(WRONG_ANSWERS)
    with as_system():
        token = _issue_token(vault, "questions", QUESTIONS_LIFETIME)
        history.record(
            vault, "password_reset_started", actor="Anonymous User", details={"route": "questions"}
        )
    return token


# --- route 3: assisted by an agent ----------------------------------------------------


def may_assist(vault, user=None):
    """Whether ``user`` (default: current) may start a reset for ``vault``'s owner.

    The account-help scope of a mandate in force on an open vault: ``Assist
    account``, held on the shared space by the scope's local role (given by the
    mandate's windows only between its start and its end) while the vault is open.
    """
    shared = vault.get(SHARED_SPACE_ID) if vault is not None else None
    if shared is None or api.user.is_anonymous():
        return False
    user = user or api.user.get_current()
    if user.getUserName() == vault.owner_login:
        return False  # the person changes their password in "Mon compte"
    return bool(user.has_permission(permissions.ASSIST_ACCOUNT, shared))


def phone_masked(phone):
    from ccas.vault.notifications.sms import masked

    return masked(phone or "")


class AssistedReset(dict):
    """What the agent gets back: delivery, expiry, masked phone, and the code only to print."""


def start_assisted_reset(vault, delivery="sms"):
    """An agent with the account-help scope starts a reset for the vault's owner.

    ``delivery="sms"``: the code goes to the person's phone, the agent never
    sees it.  ``delivery="print"``: the code is returned once, to be printed
    and handed over; it only works with the person's date of birth.  Either
    way the person types the new password themself.
    """
    from AccessControl import Unauthorized

    if not may_assist(vault):
        raise Unauthorized("The account-help scope of a mandate is needed")
    if delivery not in ("sms", "print"):
        raise RecoveryRefused(
            f"Unknown delivery {delivery!r}",
            "Choisissez comment la personne reçoit le code : par SMS ou sur papier.",
            code="bad_delivery",
        )
    if api.content.get_state(vault) not in ("open", "awaiting_consent"):
        raise RecoveryRefused(
            "This vault is closing or closed",
            "Ce coffre est en cours de fermeture. On ne peut plus changer son mot de passe.",
            code="vault_not_open",
        )
    if delivery == "sms" and not getattr(vault, "phone", None):
        raise RecoveryRefused(
            "The person has no mobile phone number",
            "La personne n'a pas de numéro de portable. Choisissez « Imprimer le code ».",
            code="no_phone",
        )
    agent = api.user.get_current()
    check_not_locked("assist", vault.owner_login, "")
    attempt("assist", vault.owner_login, "")
    code = new_code()
    # A printed code is seen by the agent: when the person has a phone or an e-mail
    # address, a second part goes there and the code works only with it (decision 0035).
    # Without either, the code needs an answer only the person knows, or a second agent
    # (decision 0043).
    part, part_to, needs = None, "", ""
    if delivery == "print":
        if getattr(vault, "phone", None):
            part, part_to = new_part(), "sms"
        elif getattr(vault, "email", None):
            part, part_to = new_part(), "email"
        elif chosen_questions(vault):
            needs = NEEDS_ANSWER
        else:
            needs = NEEDS_CONFIRMATION
    with as_system():
        _end_all(vault)  # a new code replaces any pending one
        reset = _new_reset(
            vault,
            "code",
            CODE_LIFETIME,
            secret_hash=scrypt_hash(normalise_code(code)),
            started_by=agent.getId(),
            delivery=delivery,
            part_hash=scrypt_hash(part) if part else "",
            part_to=part_to,
            needs=needs,
        )
    details = {"route": f"code_{delivery}", "expires": reset["expires"]}
    if part_to:
        details["second_part"] = part_to
    if needs:
        details["needs"] = needs
    history.record(vault, "account_help", actor=agent, details=details)
    if part:
        _send_second_part(vault, part, part_to)
    count(f"code_{delivery}", "started")
    result = AssistedReset(delivery=delivery, expires=reset["expires"])
    if delivery == "sms":
        language = getattr(vault, "preferred_language", "fr")
        text = _message(
            _("Your code to choose a new password: ${code}. It works for 24 hours. Go to ${url}"),
            language,
            {
                "code": code,
                "url": f"{api.portal.get().absolute_url()}/mon-coffre/mot-de-passe-oublie",
            },
        )
        send_secret_sms(vault.phone, text)
        result["phone"] = phone_masked(vault.phone)
    else:
        result["code"] = code
        if part_to:
            result["second_part"] = part_to
            if part_to == "sms":
                result["phone"] = phone_masked(vault.phone)
        if needs:
            result["needs"] = needs
        if needs == NEEDS_ANSWER:  # which question, never an answer
            result["question"] = code_question(vault.owner_login)
    return result


# --- four eyes: a second CCAS agent confirms a printed code (decision 0043) -------------


class ConfirmationRefused(RecoveryRefused):
    code = "confirmation_refused"


NOTHING_TO_CONFIRM = (
    "No printed code waits for a second agent's confirmation",
    "Aucun code imprimé n'attend la confirmation d'un ou une deuxième agent.",
    "nothing_to_confirm",
)
SAME_AGENT = (
    "The agent who made the code cannot confirm it: a second agent must",
    "La personne qui a fait le code ne peut pas le confirmer : un ou une autre agent du CCAS "
    "doit le faire.",
    "same_agent",
)
NOT_CCAS = (
    "Only an agent of the CCAS confirms a printed code",
    "Seul un ou une agent du CCAS confirme un code imprimé.",
    "not_ccas_agent",
)


def is_ccas_agent(user):
    """Whether ``user`` is in the group of an enabled organisation of kind ``ccas``."""
    from ccas.vault.letters.parking import CCAS_KIND
    from ccas.vault.organisations import organisation_of

    organisation = organisation_of(user)
    return organisation is not None and organisation.kind == CCAS_KIND


def awaiting_confirmation(vault):
    """The pending printed code that waits for a second agent, or ``None``."""
    now = _now()
    for reset in reversed(getattr(aq_base(vault), RESETS, None) or ()):  # a read: no write on GET
        if (
            reset["route"] == "code"
            and reset.get("needs") == NEEDS_CONFIRMATION
            and reset["ended"] is None
            and datetime.fromisoformat(reset["expires"]) > now
            and not reset.get("confirmed_by")
        ):
            return reset
    return None


def confirmation_refusal(vault, user=None):
    """Why ``user`` (default: current) may not confirm the waiting code: a reason tuple, or
    ``None`` when they may.  Raises ``Unauthorized`` without the account-help scope."""
    from AccessControl import Unauthorized

    user = user or api.user.get_current()
    if not may_assist(vault, user):
        raise Unauthorized("The account-help scope of a mandate is needed")
    reset = awaiting_confirmation(vault)
    if reset is None:
        return NOTHING_TO_CONFIRM
    if not is_ccas_agent(user):
        return NOT_CCAS
    if user.getId() == reset["started_by"]:
        return SAME_AGENT
    return None


def confirm_assisted_reset(vault):
    """A second CCAS agent, holding the account-help scope of a mandate on ``vault``,
    confirms the printed code another agent made for a person without phone, e-mail
    nor questions: only then does the code work.  Both agents are in the history."""
    agent = api.user.get_current()
    refusal = confirmation_refusal(vault, agent)
    if refusal is not None:
        message, message_fr, code = refusal
        raise ConfirmationRefused(message, message_fr, code=code)
    if api.content.get_state(vault) not in ("open", "awaiting_consent"):
        raise RecoveryRefused(
            "This vault is closing or closed",
            "Ce coffre est en cours de fermeture. On ne peut plus changer son mot de passe.",
            code="vault_not_open",
        )
    reset = awaiting_confirmation(vault)
    with as_system():
        reset["confirmed_by"] = agent.getId()
        reset["confirmed_at"] = _now().isoformat()
    history.record(
        vault,
        "account_help",
        actor=agent,
        details={
            "route": "code_print",
            "what": "confirmation",
            "started_by": reset["started_by"],
            "expires": reset["expires"],
        },
    )
    return {
        "confirmed_by": agent.getId(),
        "started_by": reset["started_by"],
        "expires": reset["expires"],
    }


def new_part():
    """The second part of a printed code: 4 characters easy to read aloud."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(PART_LENGTH))


SECOND_PART_TEXT = _(
    "The CCAS gave you a code on paper to choose a new password. Write these 4 characters "
    "after it: ${part}. Nobody at the CCAS knows them. If you did not ask, go to the CCAS."
)


def _send_second_part(vault, part, part_to):
    from ccas.vault.notifications.mail import send_mail

    language = getattr(vault, "preferred_language", "fr")
    text = _message(SECOND_PART_TEXT, language, {"part": part})
    if part_to == "sms":
        send_secret_sms(vault.phone, text)
    else:
        subject = _message(_("Your code to choose a new password"), language)
        send_mail(vault.email, subject, text + "\n")


# --- the end: the person chooses the password ------------------------------------------


def check_new_password(new_password):
    failure = password_failure(new_password)
    if failure:
        raise RecoveryRefused(
            str(failure),
            "Ce mot de passe ne convient pas. Choisissez-en un d'au moins 8 caractères.",
            code="password_refused",
        )


def _find_by_token(token, address):
    check_not_locked("code", "", address)
    digest = _sha256(token or "")
    tokens = getattr(aq_base(_directory()), TOKENS, None) or {}
    vault_id = tokens.get(digest)
    vault = _directory().get(vault_id) if vault_id else None
    for reset in _resets(vault) if vault is not None else ():
        if reset["route"] in ("email", "questions") and hmac.compare_digest(reset["hash"], digest):
            return vault, reset
    attempt("code", "", address)
    raise _refuse(WRONG_LINK)


def _find_by_code(login, code, birth_date, address, answer=None):
    check_not_locked("code", login, address)
    vault = _vault_of_login(login)
    wanted = normalise_code(code)
    if vault is not None and birth_date is not None and birth_date == vault.birth_date:
        for reset in reversed(_resets(vault)):
            if reset["route"] == "code" and _code_matches(wanted, reset):
                if _what_it_needs_is_there(vault, login, reset, answer):
                    return vault, reset
                break  # the same refusal as a wrong code: never which part was wrong
    else:
        scrypt_matches(wanted, _DUMMY_HASH)
    attempt("code", login, address)
    raise _refuse(WRONG_CODE)


def _what_it_needs_is_there(vault, login, reset, answer):
    """A printed code for a person without channel (decision 0043): the answer to the
    person's question, or a second agent's confirmation."""
    needs = reset.get("needs", "")
    if needs == NEEDS_ANSWER:
        stored = {item["id"]: item["hash"] for item in (getattr(vault, QUESTIONS, None) or ())}
        wanted = stored.get(code_question(login))
        given = normalise_answer(answer)
        return bool(wanted) and bool(given) and scrypt_matches(given, wanted)
    if needs == NEEDS_CONFIRMATION:
        return bool(reset.get("confirmed_by"))
    return True


def _code_matches(wanted, reset):
    """The code alone, or the printed code followed by its second part when it has one."""
    part_hash = reset.get("part_hash")
    if not part_hash:
        return scrypt_matches(wanted, reset["hash"])
    if len(wanted) != CODE_LENGTH + PART_LENGTH:
        return False
    printed = scrypt_matches(wanted[:CODE_LENGTH], reset["hash"])
    return scrypt_matches(wanted[CODE_LENGTH:], part_hash) and printed


def _usable(reset):
    if reset["ended"] == "used":
        raise _refuse(USED)
    if reset["ended"] is not None or datetime.fromisoformat(reset["expires"]) <= _now():
        raise _refuse(EXPIRED)


def set_password_with(
    token_or_code, new_password, *, login=None, birth_date=None, address=None, answer=None
):
    """Set the person's new password with a token (link, questions) or a code (``login`` given).

    A code needs the person's ``birth_date`` too, and a printed one for a person
    without phone nor e-mail the ``answer`` to :func:`code_question` or a second
    agent's confirmation (decision 0043).  A staff session cannot use
    it (an agent never sets a person's password).  Every other pending reset
    of the account ends; the person is told on their channel.  Returns the vault.
    """
    address = client_address() if address is None else address
    if isinstance(birth_date, str):
        try:
            birth_date = date.fromisoformat(birth_date)
        except ValueError:
            birth_date = None
    if login is not None:
        vault, reset = _find_by_code(
            normalise_login(login), token_or_code, birth_date, address, answer=answer
        )
    else:
        vault, reset = _find_by_token(token_or_code, address)
    if not api.user.is_anonymous() and api.user.get_current().getUserName() != vault.owner_login:
        raise RecoveryRefused(
            "Log out first: only the person chooses their password",
            "Déconnectez-vous d'abord : seule la personne choisit son mot de passe.",
            code="staff_session",
        )
    _usable(reset)
    check_new_password(new_password)
    route = reset["route"] if reset["route"] != "code" else f"code_{reset['delivery']}"
    details = {"route": route, "started_by": reset.get("started_by", "")}
    if reset.get("needs"):
        details["needs"] = reset["needs"]
    if reset.get("confirmed_by"):
        details["confirmed_by"] = reset["confirmed_by"]
    with as_system():
        set_password(vault.owner_login, new_password)
        _end_all(vault, used=reset)
        history.record(vault, "password_reset_completed", actor=vault.owner_login, details=details)
        _tell_password_changed(vault, assisted=reset["route"] == "code")
    count(route, "completed")
    return vault


def change_password(vault, current_password, new_password):
    """The person changes their password in "Mon compte" (the current one is needed)."""
    from AccessControl import Unauthorized

    user = api.user.get_current()
    if api.user.is_anonymous() or user.getUserName() != vault.owner_login:
        raise Unauthorized("Only the person changes their password")
    acl = api.portal.get_tool("acl_users")
    request = getattr(api.portal.get(), "REQUEST", None)
    if (
        not current_password
        or acl.authenticate(vault.owner_login, current_password, request) is None
    ):
        raise RecoveryRefused(
            "The current password is wrong",
            "Le mot de passe actuel n'est pas le bon. Écrivez-le à nouveau.",
            code="wrong_password",
        )
    check_new_password(new_password)
    with as_system():
        set_password(vault.owner_login, new_password)
        _end_all(vault)
        history.record(vault, "password_changed", actor=user)
    return vault


CHANGED_NOTICE = _(
    "Your password was changed. If it was not you, go to the CCAS reception desk quickly."
)


ASSISTED_NOTICE = _(
    "Your password was changed on ${date} with the help of the CCAS reception desk. "
    "If it was not you, come to the CCAS."
)


def _tell_password_changed(vault, assisted=False):
    """Tell the person that the password changed: on their channel, and always in the vault
    (a notice at the next login, decision 0035).  After an assisted reset the notice names
    the date and stays on the person's pages until they dismiss it (decision 0043)."""
    from ccas.vault.account.notices import add_notice
    from ccas.vault.browser.public.owner_pages import time_words
    from ccas.vault.notifications.mail import send_mail
    from ccas.vault.notifications.sms import send_sms_after_commit

    language = getattr(vault, "preferred_language", "fr")
    text = _message(CHANGED_NOTICE, language)
    channel = getattr(vault, "contact_channel", "none")
    if channel == "email" and getattr(vault, "email", None):
        send_mail(vault.email, _message(_("Your password was changed"), language), text + "\n")
    elif channel == "sms" and getattr(vault, "phone", None):
        send_sms_after_commit(vault.phone, text)
    if assisted:
        when = time_words(_now(), "en" if language == "en" else "fr")
        text = _message(ASSISTED_NOTICE, language, {"date": when})
    add_notice(vault, text, kind="password_changed", sticky=assisted)


def is_code(text):
    """Whether ``text`` looks like a one-time code (8 letters and digits, 12 with the printed
    code's second part) rather than a token."""
    return bool(re.fullmatch(r"[A-Z0-9]{8}(?:[A-Z0-9]{4})?", normalise_code(text))) and (
        len(text or "") <= 18
    )
