""" "Mon compte": the person's own settings (channel, address, number, language, questions).

Only the person changes them (never an agent, never an administrator);
each change leaves a ``recovery_options_changed`` line in the history, naming
what changed, never the values (an address or an answer is not history).
"""

from AccessControl import Unauthorized
from ccas.vault.account import recovery
from ccas.vault.api.errors import VaultError
from ccas.vault.content.vault import CONTACT_CHANNELS
from ccas.vault.history import api as history
from ccas.vault.security import as_system
from plone import api
from Products.CMFPlone.RegistrationTool import checkEmailAddress
from Products.CMFPlone.RegistrationTool import EmailAddressInvalid
import re


LANGUAGES = ("fr", "en")
_PHONE = re.compile(r"^\+?[0-9 .()-]{8,20}$")


def check_owner(vault):
    user = api.user.get_current()
    if api.user.is_anonymous() or user.getUserName() != vault.owner_login:
        raise Unauthorized("Only the person changes their account settings")
    return user


def check_contact(channel, email, phone):
    """``{field: (English, French)}`` of what is wrong (empty when all is fine)."""
    errors = {}
    if channel not in CONTACT_CHANNELS:
        errors["contact_channel"] = (
            "Choose e-mail, SMS or nothing.",
            "Choisissez : par e-mail, par SMS, ou pas de message.",
        )
    if email:
        try:
            checkEmailAddress(email)
        except EmailAddressInvalid:
            errors["email"] = (
                "This e-mail address is not valid.",
                "Cette adresse e-mail n'est pas valable. Vérifiez-la, par exemple nom@exemple.fr.",
            )
    elif channel == "email":
        errors["email"] = (
            "An e-mail address is needed for this choice.",
            "Écrivez votre adresse e-mail, ou choisissez un autre moyen.",
        )
    if phone:
        if not _PHONE.match(phone):
            errors["phone"] = (
                "This phone number is not valid.",
                "Ce numéro n'est pas valable. "
                "Écrivez-le avec 10 chiffres, par exemple 06 12 34 56 78.",
            )
    elif channel == "sms":
        errors["phone"] = (
            "A mobile phone number is needed for this choice.",
            "Écrivez votre numéro de portable, ou choisissez un autre moyen.",
        )
    return errors


class InvalidOptions(VaultError):
    code = "invalid_fields"

    def __init__(self, fields):
        super().__init__(
            "Some fields are wrong: " + ", ".join(sorted(fields)),
            "Certaines informations ne conviennent pas. Corrigez-les, puis recommencez.",
        )
        self.fields = fields


def update_contact(vault, *, contact_channel, email=None, phone=None, preferred_language=None):
    """Change how the person is told, their address and number, and their language."""
    user = check_owner(vault)
    email = (email or "").strip() or None
    phone = (phone or "").strip() or None
    errors = check_contact(contact_channel, email, phone)
    if preferred_language is not None and preferred_language not in LANGUAGES:
        errors["preferred_language"] = (
            "Choose French or English.",
            "Choisissez : français ou anglais.",
        )
    if errors:
        raise InvalidOptions(errors)
    changed = []
    values = {"contact_channel": contact_channel, "email": email, "phone": phone}
    if preferred_language is not None:
        values["preferred_language"] = preferred_language
    with as_system():
        for name, value in values.items():
            if getattr(vault, name, None) != value:
                setattr(vault, name, value)
                changed.append(name)
        if changed:
            vault.reindexObject()
    if changed:
        history.record(
            vault, "recovery_options_changed", actor=user, details={"changed": ", ".join(changed)}
        )
    return changed


def update_questions(vault, answers):
    """Replace the personal questions and their answers (kept hashed)."""
    user = check_owner(vault)
    ids = recovery.set_questions(vault, answers)
    history.record(vault, "recovery_options_changed", actor=user, details={"changed": "questions"})
    return ids
