"""@certify on a paper: certify it (agents of a certifying organisation)."""
