"""The access matrix of the vault: who may do what, on which object, in which state.

Read a row as: *on this object, this action is allowed to these actors, and
refused to every other actor*.  "owner" is the owner of the vault the object
belongs to; "other_beneficiary" owns another vault.  No actor here holds a
mandate (the mandates issue adds those rows): so, apart from the owner,
nobody — Manager and Site Administrator included — gets anything.

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
)

OWNER = frozenset({"owner"})
NOBODY = frozenset()

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
)

VAULT_ACTIONS = ("view", "list", "history", "deposit")
DOCUMENT_ACTIONS = ("list", "view", "preview", "download", "modify", "delete", "certify", "share")

MATRIX = {
    # vaults: see it, list its spaces, read its history, deposit into its private space
    ("vault:awaiting_consent", "view"): OWNER,
    ("vault:awaiting_consent", "list"): OWNER,
    ("vault:awaiting_consent", "history"): OWNER,
    ("vault:awaiting_consent", "deposit"): NOBODY,  # no deposit before consent
    ("vault:open", "view"): OWNER,
    ("vault:open", "list"): OWNER,
    ("vault:open", "history"): OWNER,
    ("vault:open", "deposit"): OWNER,
    ("vault:closing", "view"): OWNER,
    ("vault:closing", "list"): OWNER,
    ("vault:closing", "history"): OWNER,
    ("vault:closing", "deposit"): NOBODY,  # export window only
    ("vault:closed", "view"): NOBODY,
    ("vault:closed", "list"): NOBODY,
    ("vault:closed", "history"): NOBODY,
    ("vault:closed", "deposit"): NOBODY,
    # a paper of the private space, freshly deposited
    ("doc:private", "list"): OWNER,
    ("doc:private", "view"): OWNER,
    ("doc:private", "preview"): OWNER,
    ("doc:private", "download"): OWNER,
    ("doc:private", "modify"): OWNER,
    ("doc:private", "delete"): OWNER,
    ("doc:private", "certify"): NOBODY,  # certifying needs a mandate of a certifying organisation
    ("doc:private", "share"): OWNER,
    # a paper of the shared space: without mandates, the same as private
    ("doc:shared", "list"): OWNER,
    ("doc:shared", "view"): OWNER,
    ("doc:shared", "preview"): OWNER,
    ("doc:shared", "download"): OWNER,
    ("doc:shared", "modify"): OWNER,
    ("doc:shared", "delete"): OWNER,
    ("doc:shared", "certify"): NOBODY,
    ("doc:shared", "share"): OWNER,
    # certified: immutable, still the owner's
    ("doc:certified", "list"): OWNER,
    ("doc:certified", "view"): OWNER,
    ("doc:certified", "preview"): OWNER,
    ("doc:certified", "download"): OWNER,
    ("doc:certified", "modify"): NOBODY,
    ("doc:certified", "delete"): OWNER,
    ("doc:certified", "certify"): NOBODY,
    ("doc:certified", "share"): OWNER,
    # expired by date: kept, readable, not editable
    ("doc:expired", "list"): OWNER,
    ("doc:expired", "view"): OWNER,
    ("doc:expired", "preview"): OWNER,
    ("doc:expired", "download"): OWNER,
    ("doc:expired", "modify"): NOBODY,
    ("doc:expired", "delete"): OWNER,
    ("doc:expired", "certify"): NOBODY,
    ("doc:expired", "share"): OWNER,
    # superseded by a newer version: kept for the record, not shared any more
    ("doc:superseded", "list"): OWNER,
    ("doc:superseded", "view"): OWNER,
    ("doc:superseded", "preview"): OWNER,
    ("doc:superseded", "download"): OWNER,
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
