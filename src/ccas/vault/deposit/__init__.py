"""Deposit of files into a vault: checks every file before it is stored."""
