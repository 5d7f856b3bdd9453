"""Email unsubscribe: signed links, RFC 8058 headers, and bounce/complaint feedback.

A link carries the sender's id and the subscriber's address, signed with
``django.core.signing`` and a timestamp: verifying it needs no database, and
nobody can make a link for another sender or address without the secret key.
The payload is signed, not encrypted: the address is readable by whoever holds
the link, which is the subscriber it was mailed to.

Feedback from the email server (``record_email_feedback``) turns complaints and
hard bounces into blocklist entries with source ``email_server`` at once, and
soft bounces once there are ``EMAIL_SOFT_BOUNCE_LIMIT`` of them within
``EMAIL_SOFT_BOUNCE_DAYS``. Soft bounces are counted in the cache (shared by the
web server and the workers), not in the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.models import Sender
from accounts.normalization import normalize_email
from blocklists.models import Source

# ``blocklists.services`` re-exports ``record_email_feedback``, so this module imports
# the services inside the function: either module may then be imported first.

__all__ = [
    "UnsubscribeLinkExpired",
    "UnsubscribeLinkInvalid",
    "list_unsubscribe_headers",
    "mask_address",
    "read_unsubscribe_token",
    "record_email_feedback",
    "unsubscribe_token",
    "unsubscribe_url",
]

TOKEN_SALT = "blocklists.unsubscribe"
DEFAULT_MAX_AGE_DAYS = 365
DEFAULT_SOFT_BOUNCE_LIMIT = 3
DEFAULT_SOFT_BOUNCE_DAYS = 7

FEEDBACK_EVENTS = ("bounce", "complaint")


class UnsubscribeLinkInvalid(Exception):
    """The token was not made by us, was changed, or does not hold what we put in it."""


class UnsubscribeLinkExpired(UnsubscribeLinkInvalid):
    """The token is genuine but older than ``UNSUBSCRIBE_LINK_MAX_AGE_DAYS``."""


def _require_email_sender(sender: Sender) -> None:
    if not sender.is_email:
        raise ValueError(f"{sender.address} is not an email sender.")


def max_age() -> dt.timedelta:
    return dt.timedelta(
        days=getattr(settings, "UNSUBSCRIBE_LINK_MAX_AGE_DAYS", DEFAULT_MAX_AGE_DAYS)
    )


def unsubscribe_token(sender: Sender, address: str) -> str:
    """A signed, timestamped, URL-safe token naming ``sender`` and ``address``.

    Raises ValueError for a sender that is not an email sender and
    ValidationError for an address that is not an email address.
    """
    _require_email_sender(sender)
    return signing.dumps([sender.pk, normalize_email(address)], salt=TOKEN_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """``(sender_id, address)`` from a token made by ``unsubscribe_token``.

    Raises UnsubscribeLinkExpired for a genuine token past its age, and
    UnsubscribeLinkInvalid for anything else that does not verify.
    """
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise UnsubscribeLinkExpired("This unsubscribe link has expired.") from exc
    except (signing.BadSignature, ValueError) as exc:
        # ValueError: a genuine-looking signature over a payload that is not JSON.
        raise UnsubscribeLinkInvalid("This unsubscribe link is not valid.") from exc
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or isinstance(payload[0], bool)
        or not isinstance(payload[1], str)
    ):
        raise UnsubscribeLinkInvalid("This unsubscribe link is not valid.")
    return payload[0], payload[1]


def unsubscribe_url(sender: Sender, address: str, base_url: str | None = None) -> str:
    """The unsubscribe page for ``address`` on ``sender``; absolute when ``base_url`` is given."""
    path = reverse("unsubscribe:unsubscribe", args=[unsubscribe_token(sender, address)])
    if base_url:
        return base_url.rstrip("/") + path
    return path


def list_unsubscribe_headers(sender: Sender, address: str, base_url: str) -> dict[str, str]:
    """The RFC 8058 one-click headers for an email from ``sender`` to ``address``.

    RFC 8058 requires an HTTPS URI, so ``base_url`` must start with ``https://``
    (ValueError otherwise). The message's DKIM signature must cover both headers
    for mailbox providers to offer one-click unsubscribe; that is the sender's job.
    """
    if not base_url or not base_url.lower().startswith("https://"):
        raise ValueError("List-Unsubscribe one-click needs an https:// base URL (RFC 8058).")
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(sender, address, base_url)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def mask_address(address: str) -> str:
    """``ann@example.com`` → ``a***@example.com``: enough to recognise, not to harvest."""
    local, at, domain = address.partition("@")
    if not at:
        return address[:1] + "***"
    return f"{local[:1]}***@{domain}"


def _soft_bounce_key(sender_id: int, address: str) -> str:
    # Hashed: addresses may hold characters that some cache backends refuse in keys.
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"blocklists:soft-bounces:{sender_id}:{digest}"


def _soft_bounce_limit_reached(sender: Sender, address: str, at: dt.datetime) -> bool:
    """Remember one soft bounce at ``at``; whether the window now holds the limit.

    Read-modify-write on one cache key: two bounces for the same address in the
    same instant may count as one, which at worst delays the add by a bounce.
    """
    limit = getattr(settings, "EMAIL_SOFT_BOUNCE_LIMIT", DEFAULT_SOFT_BOUNCE_LIMIT)
    days = getattr(settings, "EMAIL_SOFT_BOUNCE_DAYS", DEFAULT_SOFT_BOUNCE_DAYS)
    window = dt.timedelta(days=days).total_seconds()
    now = at.timestamp()
    key = _soft_bounce_key(sender.pk, address)
    recent = [stamp for stamp in cache.get(key, []) if now - window < stamp <= now]
    recent.append(now)
    if len(recent) >= limit:
        cache.delete(key)
        return True
    cache.set(key, sorted(recent)[-limit:], timeout=int(window) + 60)
    return False


def record_email_feedback(
    *,
    sender: Sender,
    address: str,
    event: str,
    bounce_type: str | None = None,
    at: dt.datetime | None = None,
) -> bool:
    """Apply a bounce or complaint reported by the email server; whether now blocklisted.

    ``event`` is ``"complaint"`` or ``"bounce"``; a ``"hard"`` bounce and a
    complaint blocklist at once with source ``email_server``; any other bounce
    is soft and counts toward ``EMAIL_SOFT_BOUNCE_LIMIT`` (default 3) within
    ``EMAIL_SOFT_BOUNCE_DAYS`` (default 7). Raises ValueError for a sender that
    is not an email sender or an unknown event, ValidationError for an address
    that is not an email address.
    """
    from blocklists.services import is_blocklisted, opt_out

    _require_email_sender(sender)
    if event not in FEEDBACK_EVENTS:
        raise ValueError(
            f"Unknown email feedback event {event!r}; expected one of {FEEDBACK_EVENTS}."
        )
    value = normalize_email(address)
    if event == "complaint":
        note = "complaint reported by the email server"
    elif (bounce_type or "").lower() == "hard":
        note = "hard bounce"
    else:
        if not _soft_bounce_limit_reached(sender, value, at or timezone.now()):
            return is_blocklisted(sender, value)
        note = "repeated soft bounces"
    opt_out(sender=sender, subscriber=value, source=Source.EMAIL_SERVER, note=note)
    return True
