"""The steps of the login with a public identity, on ``acl_users/identite-publique``.

* ``connexion``: anyone; starts a login at the provider.
* ``lier`` (form token, logged in): start linking the provider's identity to
  the current account; ``delier`` (POST, form token): forget it.
* ``retour``: the provider sends the browser back here with a code. The flow
  must be the one this browser started (signed cookie, 10 minutes, used once),
  the state the same, the ID token's nonce the one sent (and PKCE); then the
  ``sub`` of the ID token either opens the account it is linked to, or (link)
  is linked to the account logged in now. An unknown ``sub`` opens nothing and
  never creates an account.

Each outcome is a redirection to the skin with ``identite=<outcome>``, which the
login and account pages show as a French sentence (``snippets``).
"""

from ccas.vault.browser.public.login import safe_came_from
from ccas.vault.browser.public.router import skin_url
from ccas.vault.bruteforce.headers import is_https
from ccas.vault.history import api as history
from ccas.vault.oidc.plugin import ProviderUnavailable
from oic.oic.message import AccessTokenResponse
from oic.oic.message import AuthorizationResponse
from plone import api
from plone.keyring.interfaces import IKeyManager
from plone.protect import CheckAuthenticator
from plone.protect.interfaces import IDisableCSRFProtection
from Products.Five.browser import BrowserView
from Products.PlonePAS.events import UserLoggedInEvent
from urllib.parse import urlencode
from zExceptions import Forbidden
from zope.component import queryUtility
from zope.event import notify
from zope.interface import alsoProvides
import base64
import hashlib
import hmac
import json
import logging
import secrets
import time


logger = logging.getLogger("ccas.vault.oidc")

LOGIN, LINK = "login", "link"
COOKIE = "ccas_identite"  # the flow under way in this browser (signed)
FLOW_SECONDS = 600


def _skin(name, outcome):
    return f"{skin_url()}/{name}?{urlencode({'identite': outcome})}"


def _cookie_path(plugin):
    return "/" + plugin.absolute_url_path().strip("/")


def _sign(payload):
    manager = queryUtility(IKeyManager)
    secret = (manager.secret() if manager is not None else "").encode("utf-8")
    return hmac.new(secret, b"oidc|" + payload, hashlib.sha256).hexdigest()


def save_flow(request, path, flow):
    payload = base64.urlsafe_b64encode(json.dumps(flow).encode())
    request.response.setCookie(
        COOKIE,
        f"{payload.decode()}.{_sign(payload)}",
        path=path,
        http_only=True,
        same_site="Lax",
        secure=is_https(request),
    )


def load_flow(request, path):
    """The flow this browser started (then forgotten), or ``{}`` when missing, old or forged."""
    request.response.expireCookie(COOKIE, path=path)
    payload, _dot, signature = (request.cookies.get(COOKIE) or "").encode().partition(b".")
    if not payload or not hmac.compare_digest(signature.decode(), _sign(payload)):
        return {}
    try:
        flow = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return {}
    if not isinstance(flow, dict) or flow.get("until", 0) < time.time():
        return {}
    return flow


def pkce_challenge(verifier):
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _vault_of_user(user_id):
    from ccas.vault.api.vaults import vault_of

    user = api.user.get(userid=user_id)
    return vault_of(user.getUserName()) if user is not None else None


class Start(BrowserView):
    """Send the browser to the provider (``connexion``; ``lier`` with intent LINK)."""

    intent = LOGIN

    def __call__(self):
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        back = "compte" if self.intent == LINK else "connexion"
        if self.intent == LINK:
            # A link with the form token, not a form: the skin's CSP (form-action 'self')
            # would stop a form redirected to the provider.
            CheckAuthenticator(self.request)
            if api.user.is_anonymous():
                return response.redirect(_skin("connexion", "connectez-vous"))
        if not self.context.is_configured():
            return response.redirect(_skin(back, "indisponible"))
        try:
            client = self.context.client()
        except ProviderUnavailable as error:
            logger.error("The public identity provider does not answer: %s", error)
            return response.redirect(_skin(back, "indisponible"))
        flow = {
            "state": secrets.token_urlsafe(24),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
            "intent": self.intent,
            "came_from": self.request.form.get("came_from", ""),
            "until": time.time() + FLOW_SECONDS,
        }
        save_flow(self.request, _cookie_path(self.context), flow)
        request = client.construct_AuthorizationRequest(
            request_args={
                "client_id": self.context.client_id,
                "response_type": "code",
                "scope": ["openid"],
                "state": flow["state"],
                "nonce": flow["nonce"],
                "redirect_uri": self.context.redirect_uri(),
                "code_challenge": pkce_challenge(flow["verifier"]),
                "code_challenge_method": "S256",
            }
        )
        return response.redirect(request.request(client.authorization_endpoint))


class StartLink(Start):
    intent = LINK


class Unlink(BrowserView):
    """``delier``: forget the public identity of the current account."""

    def __call__(self):
        if self.request.get("REQUEST_METHOD") != "POST":
            raise Forbidden("Unlinking is a form")
        CheckAuthenticator(self.request)
        if api.user.is_anonymous():
            return self.request.response.redirect(_skin("connexion", "connectez-vous"))
        user_id = api.user.get_current().getId()
        if self.context.unlink(user_id):
            vault = _vault_of_user(user_id)
            if vault is not None:
                history.record(vault, "public_identity_unlinked", actor=user_id)
        return self.request.response.redirect(_skin("compte", "deliee"))


class Return(BrowserView):
    """``retour``: the provider's answer."""

    def __call__(self):
        response = self.request.response
        response.setHeader("Cache-Control", "no-store")
        alsoProvides(self.request, IDisableCSRFProtection)  # the provider's redirection
        flow = load_flow(self.request, _cookie_path(self.context))
        intent = flow.get("intent")
        back = "compte" if intent == LINK else "connexion"
        try:
            sub = self._sub(flow)
        except Exception:
            logger.exception("Login with a public identity failed")
            sub = None
        if not sub or intent not in (LOGIN, LINK):
            return response.redirect(_skin(back, "echec"))
        if intent == LINK:
            return response.redirect(self._link(sub))
        return response.redirect(self._login(sub, flow.get("came_from")))

    def _sub(self, flow):
        """The ``sub`` of a checked ID token, or ``None``."""
        if not flow.get("state"):
            return None
        client = self.context.client()
        answer = client.parse_response(
            AuthorizationResponse, info=self.request.environ["QUERY_STRING"], sformat="urlencoded"
        )
        if "error" in answer or answer.get("state") != flow["state"]:
            return None
        tokens = client.do_access_token_request(
            state=flow["state"],
            request_args={
                "code": answer["code"],
                "redirect_uri": self.context.redirect_uri(),
                "code_verifier": flow["verifier"],
            },
            authn_method="client_secret_basic",
        )
        if not isinstance(tokens, AccessTokenResponse) or "id_token" not in tokens:
            return None
        id_token = tokens["id_token"]  # signature, issuer, audience and expiry checked by oic
        if id_token.get("nonce") != flow["nonce"] or self.context.client_id not in id_token["aud"]:
            return None
        return id_token["sub"]

    def _link(self, sub):
        if api.user.is_anonymous():
            return _skin("connexion", "connectez-vous")
        user_id = api.user.get_current().getId()
        try:
            self.context.link(user_id, sub)
        except ValueError:
            return _skin("compte", "deja-liee")
        vault = _vault_of_user(user_id)
        if vault is not None:
            history.record(vault, "public_identity_linked", actor=user_id)
        return _skin("compte", "liee")

    def _login(self, sub, came_from):
        user_id = self.context.user_of(sub)
        member = api.user.get(userid=user_id) if user_id else None
        if member is None:
            logger.info("A public identity linked to no account was refused")
            return _skin("connexion", "inconnue")
        api.portal.get_tool("acl_users").session._setupSession(user_id, self.request.response)
        notify(UserLoggedInEvent(member.getUser()))
        return safe_came_from(came_from or "")
