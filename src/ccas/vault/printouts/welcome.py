"""The welcome sheet handed to a person whose vault was just opened.

It carries the login (never a password: nobody at the CCAS knows it), where to
go, how to get help and recover access, and the person's rights.  It names no
paper of the vault.
"""

from ccas.vault.printouts.sheet import Sheet
from ccas.vault.printouts.sheet import text
from ccas.vault.settings import get_setting
from plone import api


SKIN = "mon-coffre"


def site_address():
    """``https://…/mon-coffre``: where the person logs in."""
    return f"{api.portal.get().absolute_url()}/{SKIN}"


def welcome_sheet(vault) -> bytes:
    """The welcome sheet of ``vault`` (PDF bytes), in French."""
    sheet = Sheet("Bienvenue dans votre coffre-fort numérique", f"Pour : {vault.display_name}")
    identity = sheet.identity
    address = site_address()

    sheet.heading("Pour entrer dans votre coffre")
    sheet.framed(
        [
            f"Adresse : {text(address)}",
            f"Votre identifiant : {text(vault.owner_login)}",
        ]
    )
    sheet.space(2)
    sheet.bullets(
        [
            "Allez sur cette adresse avec un téléphone, une tablette ou un ordinateur.",
            "Écrivez votre identifiant, puis votre mot de passe.",
            "Votre mot de passe, c'est vous qui l'avez choisi. Il n'est écrit nulle part. "
            "Personne au CCAS ne le connaît. Ne le dites à personne.",
            "N'écrivez pas votre mot de passe sur cette feuille.",
        ]
    )

    sheet.heading("Si vous avez oublié votre mot de passe")
    sheet.bullets(
        [
            f"Allez sur {address}/mot-de-passe-oublie et suivez les étapes.",
            f"Ou venez au {identity['name']} avec une pièce d'identité : un agent vous aide. "
            "Vous choisirez vous-même un nouveau mot de passe.",
        ]
    )

    sheet.heading("Pour avoir de l'aide")
    contact = [
        *([f"Téléphone : {identity['phone']}"] if identity["phone"] else []),
        *([f"E-mail : {identity['email']}"] if identity["email"] else []),
    ]
    lines = [
        identity["name"],
        *([", ".join(identity["address"])] if identity["address"] else []),
        *([" — ".join(contact)] if contact else []),
        *identity["hours"],
    ]
    sheet.framed([text(line) for line in lines], style="body")

    sheet.heading("Vos droits")
    grace = get_setting("closing_grace_days")
    sheet.bullets(
        [
            "Vous seul(e) pouvez voir vos papiers. Le CCAS ne les voit pas.",
            "Un agent peut vous aider seulement si vous signez un mandat. "
            "Vous choisissez ce qu'il peut faire. Vous pouvez arrêter ce mandat à tout moment.",
            "Votre espace privé n'est jamais visible des agents.",
            f"Vous pouvez fermer votre coffre à tout moment. Vos papiers sont effacés "
            f"{grace} jours après votre demande. Pensez à les télécharger avant.",
            "Ne mettez pas de papiers sur votre santé (ordonnances, résultats médicaux) "
            "dans votre coffre.",
        ]
    )
    sheet.space()
    sheet.para("Gardez cette feuille dans un endroit sûr.", style="small")
    return sheet.build()
