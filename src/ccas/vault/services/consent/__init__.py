"""@consent on a vault: record the person's consent (electronic or paper)."""
