"""Open a vault with a person (POST), find the vaults of a person (GET)."""

from ccas.vault import permissions
from ccas.vault.api import vaults as vault_api
from ccas.vault.api.errors import VaultError
from ccas.vault.content.vault import CONTACT_CHANNELS
from ccas.vault.services.base import boolean
from ccas.vault.services.base import disable_csrf
from ccas.vault.services.base import invalid_fields
from ccas.vault.services.base import iso_date
from ccas.vault.services.base import refused
from ccas.vault.services.base import text
from ccas.vault.services.base import VaultService
from datetime import date
from plone import api
from Products.CMFPlone.RegistrationTool import checkEmailAddress
from Products.CMFPlone.RegistrationTool import EmailAddressInvalid
import re


LANGUAGES = ("fr", "en")
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,38}[a-z0-9]$")
PHONE = re.compile(r"^\+?[0-9][0-9 .-]{5,22}$")

BAD_LOGIN = (
    "Use 3 to 40 characters: lower-case letters without accents, digits, dot, dash or "
    "underscore; start and end with a letter or a digit.",
    "L'identifiant doit avoir de 3 à 40 caractères : lettres minuscules sans accent, "
    "chiffres, point, tiret ou tiret bas. Il commence et finit par une lettre ou un chiffre.",
)
BAD_BIRTH_DATE = (
    "The date of birth must be between 1900-01-01 and today.",
    "La date de naissance doit être entre le 1er janvier 1900 et aujourd'hui.",
)
BAD_EMAIL = ("This e-mail address is not valid.", "Cette adresse e-mail n'est pas valide.")
BAD_PHONE = (
    "Use digits only, with an optional + at the start.",
    "Le numéro de téléphone doit contenir seulement des chiffres, avec un + au début si besoin.",
)
BAD_CHANNEL = (
    "Choose one of: email, sms, none.",
    "Choisissez un moyen de contact : email, sms ou none (aucun).",
)
EMAIL_NEEDED = (
    "An e-mail address is needed for the e-mail contact channel.",
    "Il faut une adresse e-mail pour être prévenu par e-mail.",
)
PHONE_NEEDED = (
    "A phone number is needed for the SMS contact channel.",
    "Il faut un numéro de téléphone pour être prévenu par SMS.",
)
REQUIRED_PASSWORD = (
    "The password the person chose is required.",
    "Il faut le mot de passe choisi par la personne.",
)
BAD_LANGUAGE = ("Choose fr or en.", "Choisissez fr (français) ou en (anglais).")
BAD_IDS = (
    "Give a list of identifiers (text).",
    "Donnez une liste d'identifiants (du texte).",
)


def _birth_date(data, errors):
    born = iso_date(data, "birth_date", errors, required=True)
    if born is not None and not date(1900, 1, 1) <= born <= date.today():
        errors["birth_date"] = BAD_BIRTH_DATE
        return None
    return born


def _ged_person_ids(data, errors):
    value = data.get("ged_person_ids")
    if value in (None, ""):
        return []
    if isinstance(value, str):  # one form field
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["ged_person_ids"] = BAD_IDS
        return []
    return [item.strip() for item in value if item.strip()]


def parse_opening(data):
    """The keyword arguments of ``open_vault`` from a request body; 400 on any bad field."""
    errors = {}
    values = {
        "first_name": text(data, "first_name", errors, required=True),
        "last_name": text(data, "last_name", errors, required=True),
        "birth_date": _birth_date(data, errors),
        "login": text(data, "login", errors, required=True),
        "email": text(data, "email", errors),
        "phone": text(data, "phone", errors),
        "contact_channel": text(data, "contact_channel", errors) or "none",
        "preferred_language": text(data, "preferred_language", errors) or "fr",
        "receive_ccas_letters": boolean(data, "receive_ccas_letters", errors),
        "ged_person_ids": _ged_person_ids(data, errors),
        "allow_duplicate": boolean(data, "allow_duplicate", errors),
    }
    password = data.get("password")
    if not isinstance(password, str) or not password:
        errors["password"] = REQUIRED_PASSWORD
    values["password"] = password
    if values["login"] and not LOGIN.match(values["login"]):
        errors["login"] = BAD_LOGIN
    if values["email"]:
        try:
            checkEmailAddress(values["email"])
        except EmailAddressInvalid:
            errors["email"] = BAD_EMAIL
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = BAD_PHONE
    channel = values["contact_channel"]
    if channel not in CONTACT_CHANNELS:
        errors["contact_channel"] = BAD_CHANNEL
    elif channel == "email" and not values["email"]:
        errors.setdefault("email", EMAIL_NEEDED)
    elif channel == "sms" and not values["phone"]:
        errors.setdefault("phone", PHONE_NEEDED)
    if values["preferred_language"] not in LANGUAGES:
        errors["preferred_language"] = BAD_LANGUAGE
    if errors:
        raise invalid_fields(errors)
    return values


class VaultsPost(VaultService):
    """Open a vault (in *awaiting consent*) and the person's account."""

    required_permission = permissions.OPEN_VAULT

    def reply(self):
        values = parse_opening(self.body())
        disable_csrf(self.request)
        try:
            vault = vault_api.open_vault(**values)
        except VaultError as error:
            raise refused(error) from error
        self.request.response.setStatus(201)
        self.request.response.setHeader("Location", vault.absolute_url())
        return {
            "@id": vault.absolute_url(),
            "id": vault.getId(),
            "review_state": api.content.get_state(vault),
        }


class VaultsGet(VaultService):
    """Vaults matching a person: id, names and date of birth only."""

    required_permission = permissions.FIND_VAULT

    def reply(self):
        errors = {}
        form = self.request.form
        last_name = text(form, "last_name", errors, required=True)
        first_name = text(form, "first_name", errors) or ""
        birth_date = iso_date(form, "birth_date", errors)
        if errors:
            raise invalid_fields(errors)
        items = vault_api.find_vaults(last_name, first_name, birth_date)
        return {"items": items, "items_total": len(items)}
