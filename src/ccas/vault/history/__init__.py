"""Append-only, hash-chained history of a vault (L.137 CPCE: integrity, origin, traceability).

Each object with a history (a vault) keeps a :class:`~.storage.History` in its
annotations.  Entries are plain records keyed by sequence number; each carries
the SHA-256 of the previous one, so editing, removing or reordering an entry
breaks the chain at a known sequence number.  Use :mod:`.api` to record and
read; ``ccas-vault-history-verify`` (:mod:`.verify`) checks a whole site.

Design decisions:

* **Genesis** — the first entry's ``prev_hash`` is ``sha256("ccas.vault.history:" + UID)``
  of the object, not 64 zeros: a history copied onto another object (or an
  object pasted as a copy, which gets a new UID) fails verification at seq 0.
  An object without a UID cannot get a history.
* **Concurrency** — every append rewrites the ``History`` object itself (its
  anchor), which defines no conflict resolution: of two transactions
  appending to the same history, the second to commit gets a
  ``ConflictError``.  The Zope publisher retries the request, and the retry
  recomputes ``seq`` and ``prev_hash`` from the committed state, so no entry is
  lost or forked.  Code running outside the publisher (scripts, clock jobs)
  must retry on ``ConflictError`` itself (e.g. ``transaction.manager.attempts()``).
* **Truncation** — a chain alone cannot reveal that its last entries were
  removed.  The history keeps an *anchor* (entry count and last hash) beside
  the entries, so dropping or rewriting tail entries without also rewriting
  the anchor is detected.  An attacker with write access to the database who
  also rewrites the anchor is not detected; that needs the head hash to be
  kept outside the database (see ``History.head``).
"""
