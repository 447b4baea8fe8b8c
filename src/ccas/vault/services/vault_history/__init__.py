"""@vault-history on a vault: read (JSON) or export (CSV, JSON document) its history."""
