"""API tokens: made by admins, shown once, stored as a SHA-256 hash.

A secret looks like ``hnd_<8 characters>_<43 characters>``; the first part is
kept as the token's ``prefix`` so people can tell tokens apart. The secret has
256 bits of randomness, so one unsalted SHA-256 is enough to store it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.utils import timezone

from accounts.models import ApiToken, Organization

# last_used_at is written at most this often per token, so every API call is not a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(*, organization: Organization, name: str, created_by=None) -> tuple[ApiToken, str]:
    """A new token for ``organization``; returns it with its secret (shown once, never stored)."""
    prefix = "hnd_" + secrets.token_hex(4)
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        organization=organization,
        name=name.strip() or "API token",
        key_hash=hash_secret(secret),
        prefix=prefix,
        created_by=created_by,
    )
    return token, secret


def authenticate(secret: str | None) -> ApiToken | None:
    """The active token for ``secret``, or None (unknown or revoked). Records when it was used."""
    if not secret:
        return None
    token = (
        ApiToken.objects.select_related("organization")
        .filter(key_hash=hash_secret(secret.strip()), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(*, organization: Organization, token_id: int) -> bool:
    """Revoke one of the organization's tokens; whether it was active until now."""
    return bool(
        ApiToken.objects.filter(
            pk=token_id, organization=organization, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    )
