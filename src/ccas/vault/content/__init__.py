"""Dexterity content types of the vault."""
