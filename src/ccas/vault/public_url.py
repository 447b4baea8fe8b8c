"""The address people reach the Zope server at, for what the product writes outside a request.

The clock (:mod:`ccas.vault.clockwork`, ``ccas-vault-clock``) and the other
scripts build their own request: without this, the links of the mails and text
messages they send would read ``http://nohost/…``.  ``CCAS_VAULT_PUBLIC_URL``
(``scheme://host[:port]``, written into ``zope.conf`` by ``ccas-vault-instance
init --public-url``; by default the address the server listens on) gives that
request its server URL.  A path in it is not used: behind a proxy that maps
another path to the site, the links name the Zope path.
"""

from urllib.parse import urlsplit
import logging
import os


logger = logging.getLogger("ccas.vault.public_url")

ENV_VAR = "CCAS_VAULT_PUBLIC_URL"


def request_environ(environ=None):
    """The WSGI environment keys that make a request's URLs start with the public address;
    empty when it is not set or malformed (logged)."""
    environ = os.environ if environ is None else environ
    url = (environ.get(ENV_VAR) or "").strip()
    if not url:
        return {}
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        logger.error("%s=%r is not an http(s)://host[:port] address: not used", ENV_VAR, url)
        return {}
    https = parts.scheme == "https"
    result = {
        "SERVER_NAME": parts.hostname,
        "SERVER_PORT": str(port or (443 if https else 80)),
        "wsgi.url_scheme": parts.scheme,
    }
    if https:
        result["HTTPS"] = "on"
    return result


def default_public_url(host, port):
    """The address of a server listening on ``host``:``port`` (all interfaces: localhost)."""
    host = "localhost" if host in ("", "0.0.0.0", "::") else host
    return f"http://{host}:{port}"
