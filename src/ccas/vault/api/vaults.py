"""Opening a vault, recording consent, finding vaults."""

from BTrees.OOBTree import OOBTree
from ccas.vault import permissions
from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import get_account
from ccas.vault.api.errors import DuplicateVault
from ccas.vault.api.errors import VaultError
from ccas.vault.content.mail_folder import ensure_mail_folder
from ccas.vault.content.spaces import PRIVATE_SPACE_ID
from ccas.vault.content.spaces import SHARED_SPACE_ID
from ccas.vault.content.vault import CONSENT_METHODS
from ccas.vault.content.vault import CONTACT_CHANNELS
from ccas.vault.encryption.blobs import encrypt_file
from ccas.vault.history import api as history
from ccas.vault.ids import new_id
from ccas.vault.security import as_system
from ccas.vault.security import check_permission
from ccas.vault.setuphandlers.install import VAULT_DIRECTORY_ID
from datetime import datetime
from datetime import UTC
from persistent.mapping import PersistentMapping
from plone import api
from Products.CMFPlone.utils import _createObjectByType
from unidecode import unidecode
from zope.event import notify
from zope.interface.interfaces import ObjectEvent


NOTICE_VERSION = "2026-11"
PERSON_INDEX = "_ccas_person_index"  # normalised "last|first|birth date" -> set of vault ids
OWNER_INDEX = "_ccas_owner_index"  # login -> vault id


class ConsentRecorded(ObjectEvent):
    """The person's consent was recorded on ``object`` (a vault); ``record`` holds it.

    Fired after the vault opened (first consent) or its consent was completed
    (e.g. to receive the CCAS's letters): parked GED letters follow it.
    """

    def __init__(self, vault, record):
        super().__init__(vault)
        self.record = record


def vault_directory():
    return api.portal.get()[VAULT_DIRECTORY_ID]


def _directory_or_none():
    try:
        return api.portal.get().get(VAULT_DIRECTORY_ID)
    except api.exc.CannotGetPortalError:
        return None


def _normalise(text):
    return " ".join(unidecode(text or "").lower().replace("-", " ").split())


def _person_key(last_name, first_name, birth_date):
    return f"{_normalise(last_name)}|{_normalise(first_name)}|{birth_date.isoformat()}"


def _index(directory, name):
    index = getattr(directory, name, None)
    if index is None:
        index = OOBTree()
        setattr(directory, name, index)
    return index


def vault_of(login):
    """The vault whose owner has this login, or ``None`` (no permission check)."""
    directory = _directory_or_none()
    if directory is None:
        return None
    vault_id = getattr(directory, OWNER_INDEX, {}).get(login)
    return directory.get(vault_id) if vault_id else None


def find_vaults(last_name, first_name="", birth_date=None):
    """Vaults matching a person: id, names and date of birth only.

    For agents checking that a vault does not exist yet (``Find vault``
    permission); nothing else about the vault is returned.
    """
    directory = vault_directory()
    check_permission(permissions.FIND_VAULT, directory)
    prefix = _normalise(last_name) + "|"
    wanted_first = _normalise(first_name)
    found = []
    index = _index(directory, PERSON_INDEX)
    for key in index.keys(min=prefix, max=prefix + "\uffff"):
        _last, first, born = key.split("|")
        if wanted_first and not first.startswith(wanted_first):
            continue
        if birth_date and born != birth_date.isoformat():
            continue
        for vault_id in index[key]:
            vault = directory.get(vault_id)
            if vault is not None:
                found.append(
                    {
                        "id": vault_id,
                        "first_name": vault.first_name,
                        "last_name": vault.last_name,
                        "birth_date": vault.birth_date.isoformat(),
                    }
                )
    return found


def suggest_login(first_name, last_name):
    """A free login built the usual way: first letter of the first name + surname.

    ``Jean-Pierre N'Diaye`` gives ``jndiaye``; ``jndiaye2``, ``jndiaye3``… when taken.
    """
    first = _normalise(first_name).replace(" ", "")[:1]
    last = "".join(c for c in _normalise(last_name) if c.isalnum())
    base = (first + last) or "usager"
    candidate, number = base, 1
    while get_account(candidate) is not None:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def open_vault(
    *,
    first_name,
    last_name,
    birth_date,
    login,
    password,
    email=None,
    phone=None,
    contact_channel="none",
    preferred_language="fr",
    receive_ccas_letters=False,
    ged_person_ids=(),
    allow_duplicate=False,
    recovery_answers=None,
):
    """Open a vault for a person, who may have no e-mail address.

    Creates the person's account (the password is the one the person typed;
    the agent never chooses it), the vault in *awaiting consent*, its private
    and shared spaces, and the first history entry.  Nothing can be deposited
    before :func:`record_consent`.  Needs ``Open vault`` on the directory.
    ``recovery_answers`` (``{question id: answer}``, two or more) are the
    personal questions chosen to recover a lost password (kept hashed).
    """
    from ccas.vault.account.recovery import check_answers
    from ccas.vault.account.recovery import set_questions

    directory = vault_directory()
    check_permission(permissions.OPEN_VAULT, directory)
    agent = api.user.get_current()
    if contact_channel not in CONTACT_CHANNELS:
        raise VaultError(
            f"Unknown contact channel {contact_channel!r}", "Ce moyen de contact n'existe pas."
        )
    if contact_channel == "email" and not email:
        raise VaultError("E-mail channel without an address", "Il faut une adresse e-mail.")
    if contact_channel == "sms" and not phone:
        raise VaultError("SMS channel without a phone number", "Il faut un numéro de téléphone.")
    if recovery_answers:
        check_answers(recovery_answers)  # before anything is created
    key = _person_key(last_name, first_name, birth_date)
    person_index = _index(directory, PERSON_INDEX)
    if not allow_duplicate and person_index.get(key):
        raise DuplicateVault(sorted(person_index[key]))
    if get_account(login) is not None:
        raise VaultError(
            f"Login {login!r} is already used",
            "Cet identifiant est déjà pris. Choisissez-en un autre avec la personne.",
            code="login_taken",
        )
    try:
        ensure_account(
            login,
            password,
            f"{first_name} {last_name}",
            email,
            groups=[roles.BENEFICIARIES_GROUP],
        )
    except ValueError as error:
        raise VaultError(
            str(error),
            "Le mot de passe ou l'identifiant ne convient pas. "
            "Le mot de passe doit avoir au moins 8 caractères.",
            code="account_refused",
        ) from error

    vault_id = new_id(directory, "c", 5)
    with as_system():
        vault = _createObjectByType(
            "Vault",
            directory,
            vault_id,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            owner_login=login,
            email=email,
            phone=phone,
            contact_channel=contact_channel,
            preferred_language=preferred_language,
            receive_ccas_letters=receive_ccas_letters,
            ged_person_ids=list(ged_person_ids),
        )
        vault.manage_delLocalRoles(list(vault.users_with_local_role("Owner")))
        vault.manage_setLocalRoles(login, [roles.VAULT_OWNER])
        _createObjectByType("PrivateSpace", vault, PRIVATE_SPACE_ID, title="Mon espace privé")
        _createObjectByType("SharedSpace", vault, SHARED_SPACE_ID, title="Espace partagé")
        for space in (vault[PRIVATE_SPACE_ID], vault[SHARED_SPACE_ID]):
            space.manage_delLocalRoles(list(space.users_with_local_role("Owner")))
        if receive_ccas_letters:
            ensure_mail_folder(vault)
        vault.reindexObjectSecurity()
        vault.information_notice = PersistentMapping(
            version=NOTICE_VERSION,
            delivered_at=datetime.now(UTC).isoformat(),
            delivered_by=agent.getId(),
        )
    person_index.setdefault(key, OOBTree())[vault_id] = True
    _index(directory, OWNER_INDEX)[login] = vault_id
    if recovery_answers:
        set_questions(vault, recovery_answers)
    history.record(
        vault, "open", actor=agent, details={"login": login, "notice_version": NOTICE_VERSION}
    )
    return vault


def record_consent(vault, *, method, receive_ccas_letters=None, form=None):
    """Record the person's consent and open the vault for deposits.

    ``method`` is ``"electronic"`` (the person, logged in, acknowledges the
    information notice) or ``"paper"`` (an agent attaches the signed form,
    scanned: ``form`` is a ``NamedBlobFile``).
    """
    check_permission(permissions.RECORD_CONSENT, vault)
    user = api.user.get_current()
    if method not in CONSENT_METHODS:
        raise VaultError(f"Unknown consent method {method!r}", "Ce mode d'accord n'existe pas.")
    if method == "electronic" and user.getUserName() != vault.owner_login:
        raise VaultError(
            "Only the person can give an electronic consent",
            "Seule la personne peut donner son accord en ligne.",
            code="not_the_owner",
        )
    if method == "paper" and form is None:
        raise VaultError(
            "A paper consent needs the scanned form",
            "Ajoutez le formulaire d'accord signé et scanné.",
            code="form_missing",
        )
    record = PersistentMapping(
        when=datetime.now(UTC).isoformat(),
        method=method,
        recorded_by=user.getId(),
        notice_version=NOTICE_VERSION,
        receive_ccas_letters=bool(
            vault.receive_ccas_letters if receive_ccas_letters is None else receive_ccas_letters
        ),
        form=encrypt_file(form, vault),
    )
    with as_system():
        vault.consents.append(record)
        vault.receive_ccas_letters = record["receive_ccas_letters"]
        if api.content.get_state(vault) == "awaiting_consent":
            api.content.transition(obj=vault, transition="consent")
    history.record(
        vault,
        "consent",
        actor=user,
        details={"method": method, "receive_ccas_letters": str(record["receive_ccas_letters"])},
    )
    notify(ConsentRecorded(vault, record))
    return record
