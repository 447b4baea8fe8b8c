"""Letters pushed by the CCAS GED: delivery, idempotency, parked letters."""
