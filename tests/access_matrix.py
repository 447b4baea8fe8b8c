"""The access matrix of the vault: who may do what, on which object, in which state.

Read a row as: *on this object, this action is allowed to these actors, and
refused to every other actor*.  "owner" is the owner of the vault the object
belongs to; "other_beneficiary" owns another vault.  Apart from the owner,
only agents holding a mandate in force get anything, within its scopes and in
the shared space only — Manager and Site Administrator included get nothing.

The mandates (see matrix_layer.py) are all on the open vault: one agent per
scope alone, one with several scopes, one whose mandate expired, one whose
mandate was revoked, a colleague of mandated agents who is not named, and an
agent holding every scope on another person's vault.  Relatives named by the
person (personal mandates, decision 0049) likewise: one per scope, one with the
three, one expired, one revoked, one on another person's vault.

Adding a type, a state or an action means adding its rows here;
``test_access_matrix.py`` checks every cell through the REST API and through
the browser views.
"""

ACTORS = (
    "owner",
    "other_beneficiary",
    "agent",  # VaultAgent without mandate
    "supervisor",  # VaultAgent who is also Editor, Reviewer and Contributor site-wide
    "records_manager",
    "ged",  # GEDConnector service account
    "site_admin",  # Site Administrator
    "manager",  # Manager
    "anonymous",
    # mandate holders (open vault)
    "reader",  # consult
    "downloader",  # extract
    "depositor",  # deposit, organisation that may not certify (CAF)
    "certifier",  # deposit, organisation that may certify (CCAS)
    "sharer",  # share
    "account_helper",  # account
    "multi",  # consult + extract + deposit (CAF)
    "expired_mandate",  # consult + extract, mandate expired
    "revoked_mandate",  # consult + extract, mandate revoked
    "colleague",  # CAF agent, not named in any mandate
    "other_vault_agent",  # every scope, on another person's vault
    # personal mandataries (decision 0049): relatives with an account of their own, no staff role
    "relative_reader",  # consult
    "relative_depositor",  # deposit
    "relative_sharer",  # share
    "relative_multi",  # consult + deposit + share
    "relative_expired",  # consult + deposit + share, mandate expired
    "relative_revoked",  # consult + deposit + share, mandate revoked
    "relative_elsewhere",  # consult + deposit + share, on another person's vault
)

OWNER = frozenset({"owner"})
NOBODY = frozenset()
# A relative never downloads an original, never certifies, never helps with the account and
# never reaches the private space: only the cells of their scopes (consult, deposit, share).
RELATIVES_IN_FORCE = frozenset(
    {"relative_reader", "relative_depositor", "relative_sharer", "relative_multi"}
)
IN_FORCE = (
    frozenset(
        {"reader", "downloader", "depositor", "certifier", "sharer", "account_helper", "multi"}
    )
    | RELATIVES_IN_FORCE
)
# list and view shared papers
SEES = (
    OWNER
    | {"reader", "downloader", "sharer", "multi"}
    | {"relative_reader", "relative_sharer", "relative_multi"}
)
PREVIEWS = OWNER | {"reader", "multi", "relative_reader", "relative_multi"}
DOWNLOADS = OWNER | {"downloader", "multi"}
DEPOSITS = OWNER | {"depositor", "certifier", "multi", "relative_depositor", "relative_multi"}
SHARES = OWNER | {"sharer", "relative_sharer", "relative_multi"}
GED_DELIVERS = frozenset({"ged", "manager"})  # deliver, never read
# run a connector for the person (decision 0051): the person, or an *agent* whose mandate in
# force has the deposit scope — never a relative, even with the deposit scope
CONNECTS = OWNER | {"depositor", "certifier", "multi"}

# Objects of the matrix data (see matrix_layer.py): vaults in each state, and
# papers of the open vault in each state and space, plus one paper of a vault
# that is closing.
VAULT_OBJECTS = ("vault:awaiting_consent", "vault:open", "vault:closing", "vault:closed")
DOCUMENT_OBJECTS = (
    "doc:private",
    "doc:shared",
    "doc:certified",
    "doc:expired",
    "doc:superseded",
    "doc:closing",
    "doc:ged_letter",
)

VAULT_ACTIONS = (
    "view",
    "list",
    "history",
    "deposit_private",
    "deposit_shared",
    "ged_letter",
    "connector",
)
DOCUMENT_ACTIONS = ("list", "view", "preview", "download", "modify", "delete", "certify", "share")

MATRIX = {
    # vaults: see it, list its spaces, read its history (agents: their own lines),
    # deposit into its private space, deposit into its shared space
    ("vault:awaiting_consent", "view"): OWNER,
    ("vault:awaiting_consent", "list"): OWNER,
    ("vault:awaiting_consent", "history"): OWNER,
    ("vault:awaiting_consent", "deposit_private"): NOBODY,  # no deposit before consent
    ("vault:awaiting_consent", "deposit_shared"): NOBODY,
    # a letter of the CCAS GED for this vault (POST @ged-letters): parked, never delivered
    ("vault:awaiting_consent", "ged_letter"): NOBODY,
    ("vault:awaiting_consent", "connector"): NOBODY,  # nothing fetched before the consent
    ("vault:open", "view"): OWNER,
    ("vault:open", "list"): OWNER,
    ("vault:open", "history"): OWNER | IN_FORCE,
    ("vault:open", "deposit_private"): OWNER,  # never through a mandate
    ("vault:open", "deposit_shared"): DEPOSITS,
    # the GED service account (or a Manager acting as one) delivers, never reads
    ("vault:open", "ged_letter"): GED_DELIVERS,
    # fetch a paper through a connector (API Particulier…), @@connecteurs and the skin
    ("vault:open", "connector"): CONNECTS,
    ("vault:closing", "view"): OWNER,
    ("vault:closing", "list"): OWNER,
    ("vault:closing", "history"): OWNER,
    ("vault:closing", "deposit_private"): NOBODY,  # export window only
    ("vault:closing", "deposit_shared"): NOBODY,
    ("vault:closing", "ged_letter"): NOBODY,
    ("vault:closing", "connector"): NOBODY,
    ("vault:closed", "view"): NOBODY,
    ("vault:closed", "list"): NOBODY,
    ("vault:closed", "history"): NOBODY,
    ("vault:closed", "deposit_private"): NOBODY,
    ("vault:closed", "deposit_shared"): NOBODY,
    ("vault:closed", "ged_letter"): NOBODY,
    ("vault:closed", "connector"): NOBODY,
    # a paper of the private space, freshly deposited: never reached by a mandate
    ("doc:private", "list"): OWNER,
    ("doc:private", "view"): OWNER,
    ("doc:private", "preview"): OWNER,
    ("doc:private", "download"): OWNER,
    ("doc:private", "modify"): OWNER,
    ("doc:private", "delete"): OWNER,
    ("doc:private", "certify"): NOBODY,  # certifying needs a mandate of a certifying organisation
    ("doc:private", "share"): OWNER,
    # a paper of the shared space: mandated agents, within their scopes
    ("doc:shared", "list"): SEES,
    ("doc:shared", "view"): SEES,
    ("doc:shared", "preview"): PREVIEWS,
    ("doc:shared", "download"): DOWNLOADS,
    ("doc:shared", "modify"): OWNER,
    ("doc:shared", "delete"): OWNER,
    ("doc:shared", "certify"): frozenset({"certifier"}),
    ("doc:shared", "share"): SHARES,
    # certified: immutable
    ("doc:certified", "list"): SEES,
    ("doc:certified", "view"): SEES,
    ("doc:certified", "preview"): PREVIEWS,
    ("doc:certified", "download"): DOWNLOADS,
    ("doc:certified", "modify"): NOBODY,
    ("doc:certified", "delete"): OWNER,
    ("doc:certified", "certify"): NOBODY,
    ("doc:certified", "share"): SHARES,
    # expired by date: kept, readable, not editable
    ("doc:expired", "list"): SEES,
    ("doc:expired", "view"): SEES,
    ("doc:expired", "preview"): PREVIEWS,
    ("doc:expired", "download"): DOWNLOADS,
    ("doc:expired", "modify"): NOBODY,
    ("doc:expired", "delete"): OWNER,
    ("doc:expired", "certify"): NOBODY,
    ("doc:expired", "share"): SHARES,
    # superseded by a newer version: kept for the record, not shared any more
    ("doc:superseded", "list"): SEES,
    ("doc:superseded", "view"): SEES,
    ("doc:superseded", "preview"): PREVIEWS,
    ("doc:superseded", "download"): DOWNLOADS,
    ("doc:superseded", "modify"): NOBODY,
    ("doc:superseded", "delete"): OWNER,
    ("doc:superseded", "certify"): NOBODY,
    ("doc:superseded", "share"): NOBODY,
    # a paper of a vault that is closing: readable and downloadable for the export
    ("doc:closing", "list"): OWNER,
    ("doc:closing", "view"): OWNER,
    ("doc:closing", "preview"): OWNER,
    ("doc:closing", "download"): OWNER,
    ("doc:closing", "modify"): OWNER,
    ("doc:closing", "delete"): OWNER,
    ("doc:closing", "certify"): NOBODY,
    ("doc:closing", "share"): NOBODY,
    # a letter the CCAS GED delivered (certified) into "Courrier du CCAS" of the shared space
    ("doc:ged_letter", "list"): SEES,
    ("doc:ged_letter", "view"): SEES,
    ("doc:ged_letter", "preview"): PREVIEWS,
    ("doc:ged_letter", "download"): DOWNLOADS,
    ("doc:ged_letter", "modify"): NOBODY,
    ("doc:ged_letter", "delete"): OWNER,
    ("doc:ged_letter", "certify"): NOBODY,
    ("doc:ged_letter", "share"): SHARES,
}


def cells():
    """Every (actor, object, action, allowed) of the matrix."""
    for (obj, action), allowed in sorted(MATRIX.items()):
        for actor in ACTORS:
            yield actor, obj, action, actor in allowed


def test_the_table_covers_every_object_and_action():
    expected = {(o, a) for o in VAULT_OBJECTS for a in VAULT_ACTIONS}
    expected |= {(o, a) for o in DOCUMENT_OBJECTS for a in DOCUMENT_ACTIONS}
    assert set(MATRIX) == expected
