"""The ``ccas.vault:demo`` profile: the accounts and the people of the CCAS de Démoville.

Never installed by ``default``.  Re-runnable: a second run creates nothing.
Passwords are ``demo`` unless ``DEMO_PASSWORD`` is set in the environment.
The people, their vaults and papers are built by :mod:`.demo_people`.
"""

from ccas.vault import roles
from ccas.vault.accounts import ensure_account
from ccas.vault.accounts import ensure_group
import logging
import os


logger = logging.getLogger("ccas.vault.demo")

CCAS_NAME = "CCAS de Démoville"

# group id -> (title, site-wide roles)
GROUPS = {
    "ccas-agents": ("Agents du CCAS de Démoville", (roles.VAULT_AGENT,)),
    "caf-agents": ("Agents de la CAF de Démoville", (roles.VAULT_AGENT,)),
    "archivistes": ("Archivistes du CCAS de Démoville", (roles.RECORDS_MANAGER,)),
    "ged-connecteurs": ("Comptes de service de la GED", (roles.GED_CONNECTOR,)),
    "beneficiaires": ("Bénéficiaires du coffre-fort", (roles.BENEFICIARY,)),
}

# login -> (full name, e-mail or None, groups, what the account is for)
ACCOUNTS = {
    "accueil": (
        "Claire Bernard",
        "accueil@ccas-demoville.example",
        ("ccas-agents",),
        "agent d'accueil du CCAS",
    ),
    "travailleur": (
        "Samir Haddad",
        "s.haddad@ccas-demoville.example",
        ("ccas-agents",),
        "travailleur social du CCAS",
    ),
    "partenaire-caf": (
        "Julie Petit",
        "julie.petit@caf-demoville.example",
        ("caf-agents",),
        "agent partenaire de la CAF",
    ),
    "archiviste": (
        "Marc Lefèvre",
        "archives@ccas-demoville.example",
        ("archivistes",),
        "archiviste (records manager)",
    ),
    "ged": ("GED du CCAS", None, ("ged-connecteurs",), "compte de service de la GED"),
    "alice.martin": (
        "Alice Martin",
        "alice.martin@example.org",
        ("beneficiaires",),
        "bénéficiaire, avec adresse e-mail",
    ),
    "bruno.diallo": (
        "Bruno Diallo",
        None,
        ("beneficiaires",),
        "bénéficiaire, sans adresse e-mail",
    ),
}


def demo_password():
    return os.environ.get("DEMO_PASSWORD") or "demo"


def post_install(context):
    """Create the demo groups, accounts and people that are missing."""
    from ccas.vault.setuphandlers import demo_people

    for group_id, (title, group_roles) in GROUPS.items():
        ensure_group(group_id, title, group_roles)
    password = demo_password()
    created = []
    for login, (fullname, email, groups, _purpose) in ACCOUNTS.items():
        if login in demo_people.WITH_VAULT and demo_people.needs_vault(login):
            continue  # opening the vault creates the account (demo_people.build)
        # Demo passwords are short on purpose: they skip the password policy.
        _member, is_new = ensure_account(
            login, password, fullname, email, groups, check_password=False
        )
        if is_new:
            created.append(login)
    created.extend(demo_people.build(password))
    logger.info("%s demo accounts created: %s", len(created), ", ".join(created) or "none")
