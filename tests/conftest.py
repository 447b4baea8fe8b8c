"""Fixtures shared by the whole suite."""

from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING
from ccas.vault.testing import CCAS_VAULT_INTEGRATION_TESTING
from datetime import datetime
from matrix_layer import MATRIX_FUNCTIONAL_TESTING
from pytest_plone import fixtures_factory
import pytest


pytest_plugins = ["pytest_plone"]

globals().update(
    fixtures_factory(
        (
            (CCAS_VAULT_FUNCTIONAL_TESTING, "functional"),
            (CCAS_VAULT_INTEGRATION_TESTING, "integration"),
        )
    )
)
# The access matrix's data (tests/matrix_layer.py), for the test classes that ask for
# ``matrix``: set up for them only, torn down after them (no session fixture).
globals().update(fixtures_factory(((MATRIX_FUNCTIONAL_TESTING, "matrix"),), keep_session=False))


@pytest.fixture
def frozen(monkeypatch):
    """Freeze the vault's clock (Europe/Paris); call it with another moment to move it."""
    from ccas.vault import clock

    def freeze(moment):
        monkeypatch.setattr(clock, "paris_now", lambda now=None: moment.replace(tzinfo=clock.PARIS))

    freeze(datetime(2026, 11, 23, 10, 0))
    return freeze
