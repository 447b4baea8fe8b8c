"""Fixtures shared by the whole suite."""

from ccas.vault.testing import CCAS_VAULT_FUNCTIONAL_TESTING
from ccas.vault.testing import CCAS_VAULT_INTEGRATION_TESTING
from pytest_plone import fixtures_factory


pytest_plugins = ["pytest_plone"]

globals().update(
    fixtures_factory(
        (
            (CCAS_VAULT_FUNCTIONAL_TESTING, "functional"),
            (CCAS_VAULT_INTEGRATION_TESTING, "integration"),
        )
    )
)
