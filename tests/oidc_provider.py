"""A small OpenID Connect provider on the loopback, for the tests (a stand-in for FranceConnect).

Discovery document, authorization endpoint approving at once the person set in
``provider.sub`` (as if they had logged in there), token endpoint (client
secret in HTTP Basic, PKCE checked), RS256 ID tokens signed with a key made at
start, JWKS and userinfo. Every request is kept in ``provider.requests``.
"""

from cryptography.hazmat.primitives.asymmetric import rsa
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs
from urllib.parse import urlencode
from urllib.parse import urlsplit
import base64
import contextlib
import hashlib
import json
import jwt
import secrets
import threading
import time


class Provider:
    def __init__(self, client_id="ccas-vault", client_secret="secret-de-test"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.sub = "fc-0001"
        self.nonce_override = None  # a wrong nonce in the next ID tokens, to test the check
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "cle-de-test"
        self.codes = {}  # code -> what the authorization request asked
        self.tokens = {}  # access token -> sub
        self.requests = []
        self.server = None

    @property
    def issuer(self):
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def configuration(self):
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid"],
        }

    def jwks(self):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def authorize(self, query):
        """``(status, location)``: approve at once, back to the client with a code."""
        if query.get("client_id") != self.client_id or query.get("response_type") != "code":
            return 400, None
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "sub": self.sub}
        answer = {"code": code, "state": query.get("state", "")}
        return 302, f"{query['redirect_uri']}?{urlencode(answer)}"

    def token(self, headers, form):
        """``(status, body)``: the ID token for a code, once."""
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("Authorization", "") != f"Basic {expected}":
            return 401, {"error": "invalid_client"}
        asked = self.codes.pop(form.get("code", ""), None)
        if asked is None or form.get("redirect_uri") != asked.get("redirect_uri"):
            return 400, {"error": "invalid_grant"}
        if asked.get("code_challenge"):
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if challenge != asked["code_challenge"]:
                return 400, {"error": "invalid_grant"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": asked["sub"],
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce_override or asked.get("nonce", ""),
        }
        id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
        access = secrets.token_urlsafe(16)
        self.tokens[access] = asked["sub"]
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": id_token,
        }

    def userinfo(self, headers):
        access = headers.get("Authorization", "").removeprefix("Bearer ")
        if access not in self.tokens:
            return 401, {"error": "invalid_token"}
        return 200, {"sub": self.tokens[access]}


def _handler(provider):
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, body=None, location=None):
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            data = json.dumps(body or {}).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            provider.requests.append(("GET", parts.path, query))
            if parts.path == "/.well-known/openid-configuration":
                return self._send(200, provider.configuration())
            if parts.path == "/jwks":
                return self._send(200, provider.jwks())
            if parts.path == "/authorize":
                status, location = provider.authorize(query)
                return self._send(status, location=location)
            if parts.path == "/userinfo":
                return self._send(*provider.userinfo(self.headers))
            return self._send(404)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.requests.append(("POST", self.path, form))
            if self.path == "/token":
                return self._send(*provider.token(self.headers, form))
            if self.path == "/userinfo":
                return self._send(*provider.userinfo(self.headers))
            return self._send(404)

        def log_message(self, *args):
            pass

    return Handler


@contextlib.contextmanager
def oidc_provider(**options):
    """Serve a ``Provider`` on a free loopback port while the block runs."""
    provider = Provider(**options)
    provider.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    thread = threading.Thread(target=provider.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        provider.server.shutdown()
        provider.server.server_close()
