"""Python API of the vault: what the REST services, views and clock jobs call.

Every function checks the caller's permission on the object it acts on, then
does the work (as system where the workflow lets nobody do it directly), and
writes the vault's history.
"""
