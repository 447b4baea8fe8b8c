"""``@vault-openapi``: the OpenAPI document of the add-on's REST endpoints."""
