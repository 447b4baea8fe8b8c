"""Notifying a person on their channel: e-mail (MailHost) or SMS (gateway utility)."""
