"""Appointments kept in a person's vault, and their reminder the day before (decision 0020).

* :mod:`.storage`: the appointments, on the vault only (an annotation);
* :mod:`.rules`: who may record, see and cancel them;
* :mod:`.reminders`: the clock job that reminds the person the day before.

The public functions are in :mod:`ccas.vault.api.appointments`.
"""
