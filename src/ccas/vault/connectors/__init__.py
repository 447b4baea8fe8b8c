"""Connectors: papers that arrive by themselves (issue 23, decision 0051)."""
