"""``GET /<site>/@vault-openapi``: ``ccas/vault/openapi/openapi.yaml`` as JSON.

The document ships inside the package (``ccas.vault.openapi``); it is parsed
once per process.  The answer is public: it describes the endpoints, never any
data, and names the site's own URL in ``servers``.
"""

from functools import lru_cache
from pathlib import Path
from plone import api
from plone.restapi.services import Service
import copy
import yaml


DOCUMENT = Path(__file__).resolve().parents[2] / "openapi" / "openapi.yaml"


@lru_cache(maxsize=1)
def _parsed():
    with DOCUMENT.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def openapi_document(site_url=None):
    """The OpenAPI document (a fresh dict); ``servers`` is ``site_url`` when given."""
    document = copy.deepcopy(_parsed())
    if site_url:
        document["servers"] = [{"url": site_url, "description": "This Plone site."}]
    return document


class OpenAPIGet(Service):
    """The API description, for anyone."""

    def reply(self):
        self.request.response.setHeader("Cache-Control", "public, max-age=3600")
        return openapi_document(api.portal.get().absolute_url())
