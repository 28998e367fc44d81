"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, a free port, optional TLS and login."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "digest-bot", "correct horse battery staple"


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Inbox:
    """The server's handler: keeps every accepted message; can refuse the next ``fail_next``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.fail_next = 0
        self.logins: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 2.0.0 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER \
                and auth_data.password.decode() == PASSWORD:
            self.logins.append(USER)
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class _FreePortController(Controller):
    def _trigger_server(self):
        # Bound to port 0: learn the real port before aiosmtpd connects to itself.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """``security``: ``starttls`` (STARTTLS required before login), ``ssl`` (implicit TLS) or ``none``."""

    def __init__(self, directory: Path, security: str = "starttls", login: bool = True) -> None:
        self.inbox = Inbox()
        self.security = security
        self.cert, key = self_signed_cert(directory)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, key)
        kwargs: dict = {}
        if login:
            # aiosmtpd 1.4 does not count implicit TLS as TLS for AUTH, so only STARTTLS demands it
            kwargs.update(authenticator=self.inbox.authenticate, auth_require_tls=security == "starttls")
        if security == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        elif security == "ssl":
            kwargs.update(ssl_context=ctx)
        self.controller = _FreePortController(self.inbox, hostname="127.0.0.1", port=0, ready_timeout=30, **kwargs)

    @property
    def port(self) -> int:
        return self.controller.port

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def config_lines(self, recipients=("analyst@example.org", "desk@example.org")) -> str:
        """The ``[email]`` table of a config that points at this server."""
        return "\n".join([
            "[email]",
            'smtp_host = "127.0.0.1"',
            f"smtp_port = {self.port}",
            f'security = "{self.security}"',
            f'username = "{USER}"' if self.security != "none" else "",
            'sender = "monitor@example.org"',
            "recipients = [" + ", ".join(f'"{r}"' for r in recipients) + "]",
            f'ca_file = "{self.cert}"',
            "timeout = 10.0",
        ]) + "\n"
