"""A small client of ClamAV's ``clamd``: every deposited file is scanned when it is configured.

The protocol is clamd's own ``zINSTREAM`` (see ``man clamd``): the command, then
the file in chunks, each prefixed with its length as a 4-byte big-endian
integer, then a zero-length chunk; clamd answers ``stream: OK``,
``stream: <signature> FOUND`` or ``... ERROR``, NUL-terminated. It listens on a
UNIX socket (``clamd_socket``) or on TCP (``clamd_address``, ``host:port``).

Not configured (both settings empty, the default): no scan. Configured but
unreachable, slow or answering an error: the file is refused (fail closed).
"""

from dataclasses import dataclass
import socket
import struct


CHUNK = 64 * 1024
DEFAULT_TIMEOUT = 30


class ScannerUnavailable(Exception):
    """clamd could not say whether the file is clean (down, too slow, error)."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # the name of what clamd found, when not clean


@dataclass(frozen=True)
class Clamd:
    """Where clamd listens: a UNIX socket path, or a ``host:port`` address."""

    socket_path: str = ""
    address: str = ""
    timeout: float = DEFAULT_TIMEOUT

    def _connect(self) -> socket.socket:
        if self.socket_path:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target = self.socket_path
        else:
            host, _sep, port = self.address.rpartition(":")
            if not host or not port.isdigit():
                raise ScannerUnavailable(f"bad clamd address {self.address!r}")
            connection = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
            target = (host.strip("[]"), int(port))
        connection.settimeout(self.timeout)
        try:
            connection.connect(target)
        except OSError as error:
            connection.close()
            raise ScannerUnavailable(f"clamd unreachable at {target}: {error}") from error
        return connection

    def _ask(self, command: bytes, payload: bytes | None = None) -> str:
        try:
            with self._connect() as connection:
                connection.sendall(command)
                if payload is not None:
                    for start in range(0, len(payload), CHUNK):
                        chunk = payload[start : start + CHUNK]
                        connection.sendall(struct.pack("!L", len(chunk)) + chunk)
                    connection.sendall(struct.pack("!L", 0))
                answer = b""
                while not answer.endswith(b"\0"):
                    received = connection.recv(4096)
                    if not received:
                        break
                    answer += received
        except OSError as error:  # timeouts included
            raise ScannerUnavailable(f"clamd did not answer: {error}") from error
        return answer.rstrip(b"\0").decode("utf-8", "replace").strip()

    def ping(self) -> bool:
        """Whether clamd answers ``PONG``."""
        try:
            return self._ask(b"zPING\0") == "PONG"
        except ScannerUnavailable:
            return False

    def scan(self, data: bytes) -> Verdict:
        """Scan ``data``; raise ``ScannerUnavailable`` when clamd cannot tell."""
        answer = self._ask(b"zINSTREAM\0", bytes(data))
        result = answer.partition(": ")[2] if answer.startswith("stream:") else answer
        if result == "OK":
            return Verdict(clean=True)
        if result.endswith(" FOUND"):
            return Verdict(clean=False, signature=result.removesuffix(" FOUND"))
        raise ScannerUnavailable(f"clamd answered {answer!r}")


def configured_scanner() -> Clamd | None:
    """The clamd of the settings, or ``None`` when no antivirus is configured (or no site)."""
    from ccas.vault.settings import get_setting
    from plone.api.exc import CannotGetPortalError
    from zope.interface.interfaces import ComponentLookupError

    try:
        socket_path = (get_setting("clamd_socket") or "").strip()
        address = (get_setting("clamd_address") or "").strip()
        timeout = get_setting("clamd_timeout_seconds") or DEFAULT_TIMEOUT
    except (CannotGetPortalError, ComponentLookupError):  # no Plone site: nothing is set
        return None
    if not (socket_path or address):
        return None
    return Clamd(socket_path=socket_path, address=address, timeout=timeout)


def status() -> str:
    """``"off"`` (not configured), ``"ok"`` (clamd answers a quick ``PING``) or ``"down"``."""
    scanner = configured_scanner()
    if scanner is None:
        return "off"
    quick = Clamd(scanner.socket_path, scanner.address, timeout=min(scanner.timeout, 3))
    return "ok" if quick.ping() else "down"
