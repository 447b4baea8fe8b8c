"""The person's account: lost passwords (``recovery``), "Mon compte", expiry reminders.

See ``docs/decisions/0016-account-recovery-and-reminders.md``.
"""
