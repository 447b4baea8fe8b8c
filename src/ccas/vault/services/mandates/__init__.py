"""@mandates, @mandate-sign, @mandate-revoke, @mandate-withdraw and @mandate-form."""
