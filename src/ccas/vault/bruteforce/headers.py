"""Security headers of the skin ``/mon-coffre`` and cookie flags on https.

The Content-Security-Policy allows the skin's own files and, for the few
inline ``<script>`` / ``<style>`` blocks and ``style`` attributes of the
skin's templates, their SHA-256 hashes, computed from the template files at
start-up (only static blocks: a block with a ``${…}`` expression is not
hashed and is blocked).  Content injected into a page never matches a hash.
"""

from ccas.vault.interfaces import IPublicSkinLayer
from pathlib import Path
import base64
import hashlib
import re


TEMPLATES = Path(__file__).parent.parent / "browser" / "public" / "templates"

_BLOCK = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')


def _hash(text):
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_hashes(directory=TEMPLATES):
    """``{"script", "style", "attribute"}`` -> hashes of the static inline code."""
    found = {"script": set(), "style": set(), "attribute": set()}
    for path in sorted(directory.glob("*.pt")):
        text = path.read_text(encoding="utf-8")
        for kind, body in _BLOCK.findall(text):
            if "${" not in body:
                found[kind].add(_hash(body))
        for value in _STYLE_ATTRIBUTE.findall(text):
            if "${" not in value:
                found["attribute"].add(_hash(value))
    return {kind: sorted(hashes) for kind, hashes in found.items()}


def content_security_policy(hashes=None):
    hashes = inline_hashes() if hashes is None else hashes
    scripts = " ".join(["'self'", *hashes["script"]])
    styles = ["'self'", *hashes["style"]]
    if hashes["attribute"]:
        styles += ["'unsafe-hashes'", *hashes["attribute"]]
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            f"style-src {' '.join(styles)}",
            "img-src 'self' data: blob:",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


CSP = content_security_policy()

SKIN_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}
HSTS = "max-age=31536000"


def is_https(request):
    return str(request.get("SERVER_URL", "")).startswith("https://")


def apply(request):
    """Set the skin's headers on the response of a skin ``request``; Secure cookies on https."""
    response = request.response
    https = is_https(request)
    if IPublicSkinLayer.providedBy(request):
        for name, value in SKIN_HEADERS.items():
            response.setHeader(name, value)
        if https:
            response.setHeader("Strict-Transport-Security", HSTS)
    if https:
        for cookie in response.cookies.values():
            cookie["secure"] = True
