"""A real SMTP server for tests (aiosmtpd on a free local port), one that refuses, and a dead port.

``running_smtp()`` yields a :class:`LocalSmtp` that keeps every message it
accepted; ``answer`` makes it refuse each message's recipients with a reply of
your choosing ("451 ..." a temporary failure, "554 ..." a permanent one) until
it is set back to None.  ``dead_port()`` is a port with nothing listening.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return " ".join(str(self.message["Subject"]).split())  # unfolded (a long one is folded on the wire)

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")


@dataclass
class LocalSmtp:
    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    answer: str | None = None  # set: every recipient is refused with this reply
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    def settings_env(self) -> dict[str, str]:
        """The environment that points an app at this server (plain SMTP, no login)."""
        return {"B1MG_SMTP_HOST": self.host, "B1MG_SMTP_PORT": str(self.port), "B1MG_SMTP_STARTTLS": "false"}

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The messages once at least ``count`` have arrived (fails after ``timeout`` seconds)."""
        with self._arrived:
            arrived = self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            assert arrived, f"{len(self.received)} message(s) arrived, expected {count}"
            return list(self.received)

    # aiosmtpd handler hooks -------------------------------------------------------------------

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.answer is not None:
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        message = message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dead_port() -> int:
    """A local port with nothing listening (connections are refused)."""
    return free_port()


@contextmanager
def running_smtp() -> Iterator[LocalSmtp]:
    """A real SMTP server on 127.0.0.1 and a free port, stopped afterwards."""
    for _ in range(5):  # another process may take the free port between the check and the bind
        server = LocalSmtp("127.0.0.1", free_port())
        controller = Controller(server, hostname=server.host, port=server.port, ready_timeout=10)
        try:
            controller.start()
        except (OSError, RuntimeError):
            time.sleep(0.1)
            continue
        try:
            yield server
        finally:
            controller.stop()
        return
    raise RuntimeError("could not start the local SMTP server")
