"""The beneficiary's light skin served at /mon-coffre (see router.py)."""
