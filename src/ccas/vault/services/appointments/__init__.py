"""@appointments: list, record and cancel the appointments of a vault (decision 0020)."""
