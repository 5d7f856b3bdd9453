"""Gateways: how a message leaves the platform, and how its receipt is read.

The **loopback gateway** is the default for phone channels. It accepts every
send and, after ``MESSAGING_LOOPBACK_RECEIPT_DELAY`` seconds (default 2), a
Celery task feeds its receipts through ``services.apply_receipt``, the same
code the ``POST /api/v1/status`` endpoint runs for a real provider. The
outcome is decided by the last four digits of the number:

====================  ===========================================
number ends in        receipt
====================  ===========================================
``0500``              failed, 500 Empty (30-day global interception)
``0510``              failed, 510 Out of service
``0520``              failed, 520 Blacklist
``0530``              failed, 530 Busy
``0540``              failed, 540 No answer
``0550``              failed, 550 Interception
``0560``              failed, 560 Break down
``0570``              failed, 570 Not in service
``0580``              failed, 580 Power off
``0590``              failed, 590 Other
anything else         delivered
====================  ===========================================

Email senders go through Django's email backend with the RFC 8058
``List-Unsubscribe`` headers; the backend's acceptance is the ``sent`` state
(bounces come back through ``blocklists.record_email_feedback``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Sender
from blocklists.unsubscribe import list_unsubscribe_headers
from messaging.models import Message

LOOPBACK_FAILURE_CODES = {f"0{code}": code for code in range(500, 600, 10)}
DEFAULT_GATEWAY = "messaging.gateways.LoopbackGateway"


class GatewayError(Exception):
    """The gateway could not take the message now (network, provider error); worth a retry."""


@dataclass(frozen=True)
class Receipt:
    """A delivery report, whatever the provider's format."""

    provider_message_id: str
    delivered: bool
    error_code: int | None = None
    at: dt.datetime | None = None


def idempotency_key(message: Message) -> str:
    """The key a gateway gives its provider so one message is delivered once.

    A worker killed after the provider accepted a message but before ``sent``
    was committed leaves its hand-over uncertain; an ``idempotent`` gateway makes
    it again with the same key, and the provider drops the repeat.
    """
    return f"handoff-{message.pk}"


class Gateway:
    """Send one message; read a provider's receipt; react once a chunk was accepted."""

    # True when ``send`` passes ``idempotency_key`` to a provider that drops repeats:
    # a hand-over interrupted by a crash may then simply be made again.
    idempotent = False

    def send(self, message: Message, text: str) -> str:
        """Hand the message to the channel; returns the provider's message id.

        Called once per message (``send_messages`` claims it first). After a crash
        between the call and ``sent`` it is called again only when ``idempotent``
        says the provider drops repeats of ``idempotency_key``.
        """
        raise NotImplementedError

    def parse_receipt(self, payload: dict) -> Receipt:
        """The ``POST /api/v1/status`` body as a Receipt (the common shape)."""
        return Receipt(
            provider_message_id=str(payload["provider_message_id"]),
            delivered=payload["status"] == "delivered",
            error_code=payload.get("error_code"),
            at=payload.get("at"),
        )

    def after_send(self, messages: Sequence[Message]) -> None:
        """Called once the accepted messages are committed as ``sent``."""


def loopback_outcome(number: str) -> tuple[bool, int | None]:
    """``(delivered, error_code)`` for a number, from its last four digits (see the table)."""
    code = LOOPBACK_FAILURE_CODES.get(number[-4:])
    return (code is None, code)


class LoopbackGateway(Gateway):
    """Accepts everything; receipts follow after a short delay, decided by the number."""

    idempotent = True

    def send(self, message: Message, text: str) -> str:
        # Like a provider honouring idempotency_key: the same message, the same id.
        return f"loop-{message.pk}"

    def receipts_for(self, messages: Sequence[Message]) -> list[Receipt]:
        now = timezone.now()
        receipts = []
        for message in messages:
            delivered, code = loopback_outcome(message.subscriber)
            receipts.append(Receipt(message.provider_message_id, delivered, code, now))
        return receipts

    def after_send(self, messages: Sequence[Message]) -> None:
        from messaging import tasks

        delay = getattr(settings, "MESSAGING_LOOPBACK_RECEIPT_DELAY", 2)
        tasks.loopback_receipts.apply_async(([m.pk for m in messages],), countdown=delay)


class EmailGateway(Gateway):
    """Django's email backend, with one-click unsubscribe headers."""

    def __init__(self) -> None:
        self.base_url = getattr(settings, "HANDOFF_PUBLIC_URL", "https://localhost")

    def send(self, message: Message, text: str) -> str:
        sender: Sender = message.sender
        msgid = make_msgid(domain=sender.address.rpartition("@")[2] or None)
        headers = {
            **list_unsubscribe_headers(sender, message.subscriber, self.base_url),
            "Message-ID": msgid,
        }
        subject = message.label or sender.name or f"Message from {sender.address}"
        email = EmailMessage(subject, text, sender.address, [message.subscriber], headers=headers)
        try:
            email.send(fail_silently=False)
        except Exception as exc:  # any backend failure is a gateway failure
            raise GatewayError(f"Email backend: {exc}") from exc
        return msgid.strip("<>")


def gateway_for(sender: Sender) -> Gateway:
    """The email gateway for email senders; ``MESSAGING_GATEWAY`` (loopback) for the rest."""
    if sender.is_email:
        return EmailGateway()
    return import_string(getattr(settings, "MESSAGING_GATEWAY", DEFAULT_GATEWAY))()
