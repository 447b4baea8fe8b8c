"""The four blank templates the CCAS prints: notice, consent form, charter, mandate form.

Plain words, short sentences (FALC-friendly), in French.  Each carries what
the CNIL asked for (report of September 2016, "Sur l'accord de l'usager"; see
docs/decisions/0019): the kind of space and its conditions of use, the
features, the person's rights (exclusive access save by mandate, closing at
any time), the advice not to store health papers, and, for the mandate, the
named agents, the scope to tick, the purpose, "dans l'exercice de ses
missions", revocation at any time and a new password afterwards.
"""

from ccas.vault.api.vaults import NOTICE_VERSION
from ccas.vault.connectors import settings as connector_settings
from ccas.vault.connectors.interfaces import PULL
from ccas.vault.content.mandate import DUTIES_STATEMENT
from ccas.vault.printouts.sheet import Sheet
from ccas.vault.printouts.welcome import site_address
from ccas.vault.scopes import SCOPES
from ccas.vault.services.mandates.pdf import SCOPE_LABELS
from ccas.vault.settings import get_setting


WHAT_IT_IS = (
    "Un coffre-fort numérique est un espace sur internet pour garder vos papiers "
    "(attestations, factures, avis d'impôt, pièces d'identité…). "
    "Vos papiers ne peuvent être vus que par vous, et par les personnes que vous "
    "choisissez avec un mandat."
)
HEALTH = (
    "Ne mettez pas de papiers sur votre santé (ordonnances, résultats d'examens, "
    "comptes rendus médicaux) dans votre coffre."
)
PASSWORD = (
    "Vous choisissez votre mot de passe vous-même. Les agents du CCAS ne le connaissent "
    "jamais et ne le gardent pas."
)


def _closing():
    days = get_setting("closing_grace_days")
    return (
        "Vous pouvez fermer votre coffre à tout moment, sans donner de raison. "
        f"Vos papiers sont alors effacés {days} jours après votre demande. "
        "Pensez à les télécharger avant."
    )


def _rights(name):
    return [
        "Vous seul(e) avez accès à vos papiers. Le CCAS ne les voit pas, "
        "sauf si vous signez un mandat.",
        "Vous pouvez signer un mandat d'accompagnement administratif : vous choisissez "
        "l'agent et ce qu'il peut faire. Vous pouvez refuser le mandat et garder votre coffre.",
        "Vous pouvez arrêter un mandat à tout moment. Après, changez votre mot de passe.",
        "Votre espace privé n'est jamais visible des agents, même avec un mandat.",
        "Vous pouvez voir l'historique : qui a fait quoi dans votre coffre, et quand.",
        _closing(),
        f"Pour toute question sur vos données, adressez-vous au {name}.",
    ]


def information_notice() -> bytes:
    """The information notice (general information the CNIL makes compulsory)."""
    sheet = Sheet("Notice d'information : votre coffre-fort numérique", f"Version {NOTICE_VERSION}")
    name = sheet.identity["name"]
    sheet.heading("C'est quoi ?")
    sheet.para(WHAT_IT_IS)
    sheet.para(
        f"Le {name} vous aide à ouvrir votre coffre et à vous en servir. "
        "Ce service est gratuit. Vous n'êtes pas obligé(e) de l'accepter."
    )
    sheet.heading("Comment s'en servir")
    sheet.bullets(
        [
            f"Allez sur {site_address()} avec un téléphone, une tablette ou un ordinateur.",
            "Entrez votre identifiant et votre mot de passe.",
            PASSWORD,
            "Si vous oubliez votre mot de passe, un agent peut vous aider à en choisir un "
            "nouveau. Il ne le voit pas.",
        ]
    )
    sheet.heading("Ce que vous pouvez faire")
    sheet.bullets(
        [
            "Ajouter vos papiers : une photo ou un fichier.",
            "Les ranger, les voir, les télécharger, les imprimer.",
            "Les partager avec un organisme (CAF, bailleur…) par un lien qui s'arrête à une date.",
            "Recevoir des courriers du CCAS dans votre coffre, si vous le voulez.",
            "Garder des papiers dans votre espace privé.",
        ]
    )
    offered = connector_settings.enabled_connectors(PULL)
    if offered:  # decision 0051: what is fetched and from whom, only with the person's consent
        sheet.heading("Des papiers que le CCAS peut demander pour vous")
        sheet.para(
            "Seulement si vous le voulez : vous donnez votre accord dans votre coffre (page "
            "« Ajouter un papier »), et vous pouvez le retirer quand vous voulez (page « Qui a "
            "accès »)."
        )
        sheet.bullets(
            [f"{c.title_fr} : {c.fetched_fr}, demandé à {c.source_fr}." for _n, c in offered]
        )
    sheet.heading("Vos droits")
    sheet.bullets(_rights(name))
    sheet.heading("Attention")
    sheet.para(HEALTH)
    sheet.para(
        f"La taille d'un papier est limitée à {get_setting('max_upload_size_mb')} Mo.",
    )
    return sheet.build()


def consent_form() -> bytes:
    """The person's agreement to open and use a vault with the CCAS's help."""
    sheet = Sheet("Accord pour ouvrir un coffre-fort numérique", f"Version {NOTICE_VERSION}")
    name = sheet.identity["name"]
    sheet.blanks(["Nom", "Prénom", "Date de naissance"])
    sheet.space()
    sheet.para(
        f"Je, soussigné(e), donne mon accord pour être accompagné(e) par le {name} "
        "dans l'ouverture et l'utilisation d'un coffre-fort numérique."
    )
    days = get_setting("closing_grace_days")
    sheet.heading("J'ai été informé(e), à l'oral et par la notice, que :")
    sheet.bullets(
        [
            "Mon coffre-fort numérique est un espace sur internet pour garder mes papiers. "
            "Le CCAS m'a expliqué comment m'en servir et ce qu'il permet de faire.",
            "Je choisis mon mot de passe moi-même. Les agents du CCAS ne le connaissent "
            "jamais et ne le gardent pas.",
            "Personne d'autre que moi n'a accès à mes papiers, sauf par un mandat "
            "que je signe. Ce mandat n'est pas obligatoire.",
            "Je peux fermer mon coffre à tout moment, sans donner de raison. Mes papiers "
            f"sont alors effacés {days} jours après ma demande.",
            "Je ne dois pas mettre de papiers sur ma santé (ordonnances, résultats "
            "d'examens) dans mon coffre.",
        ]
    )
    sheet.heading("Je choisis (cochez si vous êtes d'accord) :")
    sheet.checkboxes(
        [
            "J'ai reçu la notice d'information.",
            f"Je veux recevoir les courriers du {name} dans mon coffre.",
        ]
    )
    sheet.para(
        "Cet accord vaut jusqu'à la fermeture de mon coffre. Je peux le fermer quand je veux.",
        style="small",
    )
    sheet.space()
    sheet.blanks(["Fait à", "Le"])
    sheet.signatures(["La personne", f"L'agent du {name}"])
    return sheet.build()


def charter() -> bytes:
    """The charter: rights and duties of the person, of the agents, what the CCAS commits to."""
    sheet = Sheet("Charte du coffre-fort numérique", f"Version {NOTICE_VERSION}")
    name = sheet.identity["name"]
    sheet.para(WHAT_IT_IS)
    sheet.heading("Vos droits")
    sheet.bullets(_rights(name))
    sheet.heading("Vos engagements")
    sheet.bullets(
        [
            "Je garde mon mot de passe secret. Je ne le donne à personne, même pas au CCAS.",
            "Je ne mets que mes papiers à moi dans mon coffre.",
            HEALTH,
        ]
    )
    sheet.heading("Les engagements des agents (du CCAS et des partenaires)")
    sheet.bullets(
        [
            "Ils ne demandent jamais votre mot de passe.",
            "Ils ne voient vos papiers que si vous avez signé un mandat, et seulement "
            "ce que vous avez coché.",
            "Ils agissent seulement dans l'exercice de leurs missions, pour vous aider "
            "dans vos démarches (par exemple, faciliter l'accès à vos droits).",
            "Tout ce qu'ils font dans votre coffre est noté dans l'historique.",
        ]
    )
    sheet.heading(f"Ce que le {name} s'engage à faire")
    sheet.bullets(
        [
            "Vous expliquer le coffre, à l'oral et par écrit.",
            "Vous aider à l'ouvrir, à vous en servir et à retrouver l'accès si vous "
            "oubliez votre mot de passe.",
            "Fermer votre coffre quand vous le demandez.",
            "Vérifier que les agents respectent les mandats.",
        ]
    )
    sheet.heading(f"Ce que le {name} ne fait pas")
    sheet.bullets(
        [
            "Il ne connaît pas et ne garde pas votre mot de passe.",
            "Il ne lit pas vos papiers sans mandat.",
            "Il ne donne pas vos papiers à un autre organisme sans vous.",
        ]
    )
    sheet.blanks(["Fait à", "Le"])
    sheet.signatures(["La personne", f"L'agent du {name}"])
    return sheet.build()


def mandate_form() -> bytes:
    """The blank mandate of administrative support, to fill and sign by hand."""
    sheet = Sheet("Mandat d'accompagnement administratif", "Formulaire à remplir")
    name = sheet.identity["name"]
    sheet.para(
        "Ce mandat complète mon accord pour ouvrir mon coffre. Il ne le remplace pas. "
        "Je peux refuser de le signer et garder mon coffre."
    )
    sheet.heading("La personne (le mandant)")
    sheet.blanks(["Nom", "Prénom", "Date de naissance", "Identifiant du coffre"])
    sheet.heading("Les agents mandatés (chacun signe)")
    sheet.blanks(["Agent 1 : nom, organisme", "Agent 2 : nom, organisme"])
    sheet.heading("Ce que les agents peuvent faire pour moi (cochez)")
    sheet.checkboxes([SCOPE_LABELS[scope] for scope in SCOPES])
    sheet.para(
        "Une case cochée : je l'autorise. Une case vide : je ne l'autorise pas.", style="small"
    )
    sheet.heading("Pourquoi (la finalité)")
    sheet.para("Afin de faciliter mes démarches et l'accès à mes droits. Précisez si besoin :")
    sheet.blanks([""])
    sheet.para(DUTIES_STATEMENT + " Ils interviennent dans l'exercice de leurs missions.")
    sheet.heading("Comment ils accèdent à mon coffre")
    sheet.bullets(
        [
            "Avec leur propre compte d'agent, jamais avec mon mot de passe.",
            "Seulement pendant la durée du mandat. Chaque action est notée dans "
            "l'historique et peut être contrôlée après.",
            "Jamais dans mon espace privé.",
        ]
    )
    sheet.heading("Durée")
    sheet.checkboxes(["Du ____/____/______ au ____/____/______", "Jusqu'à ce que je l'arrête"])
    sheet.heading("Mes droits")
    sheet.bullets(
        [
            f"Je peux arrêter ce mandat à tout moment, dans mon coffre ou au {name}.",
            "À la fin du mandat, je change mon mot de passe pour rester seul(e) à entrer "
            "dans mon coffre.",
        ]
    )
    sheet.blanks(["Fait à", "Le"])
    sheet.signatures(["La personne (mandant)", "Agent 1", "Agent 2"])
    return sheet.build()
