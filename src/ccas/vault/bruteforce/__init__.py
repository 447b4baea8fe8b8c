"""Brute-force limits on logins, the skin's session and its security headers (decision 0026)."""
