"""The API Particulier connector: the family quotient (CAF or MSA) as a certified paper.

API Particulier (DINUM, ``particulier.api.gouv.fr``) answers administrations that hold a
habilitation.  This connector calls the documented endpoint of the family quotient CAF & MSA
with the identity of the person (v3 "identité" call)::

    GET {base_url}/v3/dss/quotient_familial/identite
        ?recipient=<SIRET of the CCAS>&nomNaissance=…&prenoms[]=…&anneeDateNaissance=…
         &moisDateNaissance=…&jourDateNaissance=…&sexeEtatCivil=F|M
         &codeCogInseePaysNaissance=99100&codeCogInseeCommuneNaissance=…
    Authorization: Bearer <the CCAS's token>

``200``: ``{"data": {"quotient_familial": {"fournisseur": "CNAF"|"MSA", "valeur", "annee",
"mois", "annee_calcul", "mois_calcul"}, "allocataires": […], "enfants": […], "adresse": {…}},
"links": {}, "meta": {}}``.  Errors: ``{"errors": [{"code", "title", "detail", "source",
"meta"}]}`` with 401 (token), 403 (habilitation), 404 (``37003``: no allocataire file),
422 (parameters), 429 (``00429``, ``Retry-After``), 502 (``37999``), 503, 504 (``37002``).
Each one becomes a :class:`ConnectorError` with a French message; ``Retry-After`` is
respected (waited when short, else told).  Decision 0051.
"""

from ccas.vault import clock
from ccas.vault.connectors.interfaces import Attachment
from ccas.vault.connectors.interfaces import ConnectorError
from ccas.vault.connectors.interfaces import Delivery
from ccas.vault.connectors.interfaces import IPullConnector
from ccas.vault.connectors.interfaces import PersonDataInvalid
from ccas.vault.connectors.interfaces import PersonField
from ccas.vault.connectors.interfaces import PULL
from ccas.vault.connectors.interfaces import SettingField
from ccas.vault.connectors.interfaces import SourceRefused
from ccas.vault.connectors.interfaces import SourceUnavailable
from ccas.vault.printouts.sheet import Sheet
from datetime import date
from datetime import datetime
from datetime import UTC
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode
from zope.interface import implementer
import contextlib
import hashlib
import json
import logging
import time
import urllib.error
import urllib.request


logger = logging.getLogger("ccas.vault.connectors")

NAME = "api-particulier-qf"
PATH = "/v3/dss/quotient_familial/identite"
DEFAULT_BASE_URL = "https://particulier.api.gouv.fr"
DOCUMENT_TYPE = "attestation-caf"
FRANCE = "99100"
TIMEOUT = 20
MAX_ATTEMPTS = 3
PROVIDERS = {"CNAF": "CAF", "MSA": "MSA"}
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

#: Waits between attempts (tests replace it to keep the clock out of them).
sleep = time.sleep


def retry_after_seconds(value, now=None):
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date); ``None``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int((moment - (now or datetime.now(UTC))).total_seconds()))


def _wait_words(seconds):
    if seconds is None:
        return "plus tard"
    if seconds < 90:
        return f"dans {max(seconds, 1)} secondes"
    return f"dans {round(seconds / 60)} minutes"


def _api_error(status, body, retry_after):
    """The :class:`ConnectorError` for an API answer ``status`` with JSON ``body``."""
    try:
        first = (json.loads(body or b"{}").get("errors") or [{}])[0]
    except (ValueError, AttributeError, IndexError):
        first = {}
    code = str(first.get("code") or "")
    where = f"API Particulier {status} {code} {first.get('title', '')}".strip()
    if status == 401:
        return SourceUnavailable(
            where,
            "Le jeton API Particulier du CCAS n'est pas valide ou a expiré. Le responsable "
            "des archives doit le renouveler sur api.gouv.fr et l'enregistrer dans "
            "« Connecteurs ». Rien n'a été enregistré.",
            code="token_invalid",
        )
    if status == 403:
        return SourceRefused(
            where,
            "L'habilitation API Particulier du CCAS ne donne pas accès au quotient familial. "
            "Le responsable des archives doit la faire compléter sur api.gouv.fr. "
            "Rien n'a été enregistré.",
            code="not_entitled",
        )
    if status == 404:
        return SourceRefused(
            where,
            "La CAF et la MSA ne trouvent pas de dossier allocataire pour cette personne. "
            "Vérifiez son nom de naissance, ses prénoms, sa date et son lieu de naissance. "
            "Rien n'a été enregistré.",
            code="unknown_person",
        )
    if status in (400, 422):
        return PersonDataInvalid(
            where,
            "API Particulier refuse les informations de la personne (nom, prénoms, date ou "
            "lieu de naissance). Vérifiez-les. Rien n'a été enregistré.",
            code="invalid_request",
        )
    if status == 429:
        return SourceUnavailable(
            where,
            "API Particulier reçoit trop de demandes du CCAS. Réessayez "
            f"{_wait_words(retry_after)}. Rien n'a été enregistré.",
            code="rate_limited",
            retry_after=retry_after,
        )
    return SourceUnavailable(
        where,
        "API Particulier ou la CAF ne répond pas en ce moment. Réessayez "
        f"{_wait_words(retry_after)}. Rien n'a été enregistré.",
        code="api_down",
        retry_after=retry_after,
    )


def query(settings, person):
    """The documented query parameters for ``person`` (a list of pairs: ``prenoms[]`` repeats)."""
    try:
        born = date.fromisoformat(person.get("birth_date") or "")
    except ValueError:
        raise PersonDataInvalid(
            "no birth date", "La date de naissance de la personne manque.", code="no_birth_date"
        ) from None
    country = person.get("code_pays_naissance") or FRANCE
    commune = person.get("code_commune_naissance") or ""
    if country == FRANCE and not commune:
        raise PersonDataInvalid(
            "born in France without commune code",
            "Pour une personne née en France, le code INSEE de la commune de naissance est "
            "nécessaire.",
            code="missing_code_commune_naissance",
        )
    pairs = [
        ("recipient", settings.get("recipient", "")),
        ("nomNaissance", (person.get("nom_naissance") or person.get("last_name", "")).upper()),
    ]
    pairs += [("prenoms[]", first.upper()) for first in (person.get("first_name") or "").split()]
    pairs += [
        ("anneeDateNaissance", str(born.year)),
        ("moisDateNaissance", str(born.month)),
        ("jourDateNaissance", str(born.day)),
        ("sexeEtatCivil", person.get("sexe", "")),
        ("codeCogInseePaysNaissance", country),
    ]
    if country == FRANCE:
        pairs.append(("codeCogInseeCommuneNaissance", commune))
    return pairs


def call(settings, person):
    """The API's JSON answer (bytes); :class:`ConnectorError` on any failure.

    A ``429`` or ``503`` whose ``Retry-After`` is at most ``retry_max_wait`` seconds is
    waited and tried again (:data:`MAX_ATTEMPTS` attempts in all); a longer one is told.
    """
    base = (settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    url = f"{base}{PATH}?{urlencode(query(settings, person))}"
    try:
        max_wait = int(settings.get("retry_max_wait") or 0)
    except ValueError:
        max_wait = 0
    request = urllib.request.Request(
        url,
        headers={
            "Authorization": f"Bearer {settings.get('token', '')}",
            "Accept": "application/json",
            "User-Agent": "ccas.vault (CCAS)",
        },
    )
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            wait = retry_after_seconds(error.headers.get("Retry-After"))
            failure = _api_error(error.code, body, wait)
            logger.warning("%s (attempt %s)", failure.message, attempt)
            if (
                error.code in (429, 503)
                and wait is not None
                and wait <= max_wait
                and attempt < MAX_ATTEMPTS
            ):
                sleep(wait)
                continue
            raise failure from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            logger.warning("API Particulier unreachable: %s", error)
            raise _api_error(0, b"", None) from None
    raise _api_error(0, b"", None)  # not reached


def _person_line(person):
    names = " ".join(
        part for part in (person.get("nom_naissance"), person.get("nom_usage")) if part
    )
    born = person.get("date_naissance") or ""
    with contextlib.suppress(ValueError):
        born = datetime.fromisoformat(born).strftime("%d/%m/%Y")
    return f"{names} {person.get('prenoms') or ''}, né(e) le {born}".strip()


def attestation_title(source, day):
    return f"Attestation de quotient familial (source : {source}, via API Particulier, le {day})"


def attestation_pdf(data, source, fetched_day):
    """The PDF the product makes from the answer ``data`` (the ``data`` object)."""
    qf = data["quotient_familial"]
    title = attestation_title(source, fetched_day)
    sheet = Sheet("Attestation de quotient familial", f"Source : {source}, via API Particulier")
    sheet.para(title, style="body")
    sheet.heading("Quotient familial")
    month = MONTHS[int(qf["mois"]) - 1] if qf.get("mois") else ""
    calcul = MONTHS[int(qf["mois_calcul"]) - 1] if qf.get("mois_calcul") else ""
    sheet.framed([f"{qf['valeur']} € — {month} {qf.get('annee', '')}".strip()])
    sheet.bullets(
        [
            f"Organisme : {source} (régime {qf.get('fournisseur', '')})",
            f"Calculé en {calcul} {qf.get('annee_calcul', '')}".strip(),
        ]
    )
    sheet.heading("Allocataire(s)")
    sheet.bullets([_person_line(p) for p in data.get("allocataires") or []] or ["—"])
    sheet.heading("Enfant(s)")
    sheet.bullets([_person_line(p) for p in data.get("enfants") or []] or ["Aucun"])
    address = data.get("adresse") or {}
    lines = [
        address.get(key)
        for key in (
            "destinataire",
            "complement_information",
            "complement_information_geographique",
            "numero_libelle_voie",
            "lieu_dit",
            "code_postal_ville",
            "pays",
        )
        if address.get(key)
    ]
    if lines:
        sheet.heading("Adresse connue de l'organisme")
        sheet.bullets(lines)
    sheet.heading("D'où vient ce papier")
    sheet.para(
        f"Le CCAS a obtenu ces informations le {fetched_day} auprès de {source}, par l'API "
        "Particulier de l'État (DINUM), avec l'accord de la personne. Il les a mises en page "
        "sans les modifier et a certifié ce papier avec son cachet électronique. La réponse "
        "reçue est gardée telle quelle à côté du papier."
    )
    return sheet.build()


@implementer(IPullConnector)
class ApiParticulierQuotient:
    """The named utility ``api-particulier-qf``."""

    name = NAME
    kind = PULL
    title_fr = "API Particulier : quotient familial"
    source_fr = "la CAF ou la MSA, par l'API Particulier de l'État (DINUM)"
    fetched_fr = (
        "votre quotient familial, la composition de votre famille et l'adresse connue de "
        "votre caisse"
    )
    data_categories = ("quotient_familial", "composition_familiale", "adresse")
    document_types = (DOCUMENT_TYPE,)
    needs_consent = True
    refresh_days = 62  # the attestation is valid 3 months: a new one each month
    person_fields = (
        PersonField(
            "sexe",
            "Sexe à l'état civil (F ou M)",
            pattern="[FM]",
            help_fr="Écrivez F ou M.",
        ),
        PersonField(
            "code_pays_naissance",
            "Code INSEE du pays de naissance (99100 pour la France)",
            pattern="99[0-9]{3}",
            help_fr="Cinq chiffres commençant par 99 ; 99100 pour la France.",
            required=False,
        ),
        PersonField(
            "code_commune_naissance",
            "Code INSEE de la commune de naissance (si vous êtes né(e) en France)",
            pattern="[0-9][0-9AB][0-9]{3}",
            help_fr="Cinq caractères, par exemple 59350 pour Lille (ce n'est pas le code postal).",
            required=False,
        ),
        PersonField(
            "nom_naissance",
            "Nom de naissance, s'il n'est pas le nom du coffre",
            required=False,
        ),
    )
    settings_fields = (
        SettingField(
            "base_url",
            "Adresse de l'API",
            default=DEFAULT_BASE_URL,
            help_fr="https://particulier.api.gouv.fr en production.",
        ),
        SettingField(
            "token",
            "Jeton d'accès du CCAS",
            secret=True,
            help_fr="Le jeton reçu après l'habilitation sur api.gouv.fr.",
        ),
        SettingField(
            "recipient",
            "SIRET du CCAS (destinataire des données)",
            help_fr="Quatorze chiffres, sans espace.",
        ),
        SettingField(
            "retry_max_wait",
            "Attente maximale avant de réessayer (secondes)",
            default="10",
            required=False,
        ),
    )

    def fetch(self, settings, person):
        body = call(settings, person)
        try:
            answer = json.loads(body)
            data = answer["data"]
            qf = data.get("quotient_familial") or {}
            value = qf.get("valeur")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConnectorError(
                "API Particulier answered something that is not the documented JSON",
                "API Particulier a répondu de façon inattendue. Réessayez plus tard. "
                "Rien n'a été enregistré.",
                code="bad_answer",
            ) from None
        if value is None:
            raise SourceRefused(
                "no family quotient in the answer",
                "La caisse n'a pas de quotient familial pour cette personne en ce moment "
                "(pas de droit ouvert). Rien n'a été enregistré.",
                code="no_quotient",
            )
        source = PROVIDERS.get(qf.get("fournisseur"), qf.get("fournisseur") or "CAF")
        today = clock.paris_now().date()
        day = today.strftime("%d/%m/%Y")
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")
        reference = (
            f"qf-{qf.get('annee')}-{qf.get('mois')}-{hashlib.sha256(canonical).hexdigest()[:16]}"
        )
        title = (
            f"Attestation de quotient familial (source : {source}, via API Particulier, le {day})"
        )
        return (
            Delivery(
                data=attestation_pdf(data, source, day),
                filename=f"attestation-quotient-familial-{today.isoformat()}.pdf",
                document_type=DOCUMENT_TYPE,
                title=title,
                source=source,
                reference=reference,
                issued=today,
                attachments=(
                    Attachment(
                        data=body,
                        filename=f"api-particulier-quotient-familial-{today.isoformat()}.json",
                    ),
                ),
                details={"month": f"{qf.get('annee')}-{qf.get('mois')}"},
            ),
        )
