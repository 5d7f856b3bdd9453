"""API tokens: made by admins, shown once, stored as a SHA-256 hash.

A secret looks like ``hnd_<8 characters>_<43 characters>``; the first part is
kept as the token's ``prefix`` so people can tell tokens apart. The secret has
256 bits of randomness, so one unsalted SHA-256 is enough to store it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.core.cache import cache
from django.utils import timezone

from accounts.models import ApiToken, Organization

logger = logging.getLogger(__name__)

# last_used_at is written at most this often per token, so every API call is not a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# How long a token read from the database answers from the cache (changes to its
# organization or senders clear it at once; revocation is marked, see authenticate).
CACHE_SECONDS = 60
# The revocation mark outlives any cached copy of the token by far.
ENDED_SECONDS = 60 * 60 * 24


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


class _SafeCache:
    """The cache, or nothing while it is unreachable: the database still answers
    (a Redis restart must not fail API calls)."""

    def __getattr__(self, name):
        method = getattr(cache, name)

        def call(*args, **kwargs):
            try:
                return method(*args, **kwargs)
            except Exception as exc:  # redis.ConnectionError and friends
                logger.warning("Token cache unavailable (%s): using the database", exc)
                return {} if name == "get_many" else None

        return call


_cache = _SafeCache()


def _cached(key_hash: str) -> str:
    return f"apitoken:{key_hash}"


def _ended(key_hash: str) -> str:
    return f"apitoken-ended:{key_hash}"


def authenticate(secret: str | None) -> ApiToken | None:
    """The active token for ``secret``, or None (unknown or revoked). Records when it was used.

    Every API call asks, so a token found in the database is kept in the cache
    (Redis in production) for ``CACHE_SECONDS``, with the senders the calls named
    (``remember_sender``). A revoked or deleted token leaves a mark that is read
    in the same round trip and wins over a cached copy, so revocation holds at
    once even against a request that was caching the token at that moment.
    """
    if not secret:
        return None
    key_hash = hash_secret(secret.strip())
    found = _cache.get_many([_cached(key_hash), _ended(key_hash)])
    if _ended(key_hash) in found:
        return None
    token = found.get(_cached(key_hash))
    if token is None:
        token = (
            ApiToken.objects.select_related("organization")
            .filter(key_hash=key_hash, revoked_at__isnull=True)
            .first()
        )
        if token is None:
            return None
        token.senders = {}
        _cache.set(_cached(key_hash), token, CACHE_SECONDS)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        _cache.set(_cached(key_hash), token, CACHE_SECONDS)
    return token


def remember_sender(token: ApiToken, address: str, sender) -> None:
    """Keep a sender an API call found by ``address`` with the cached token."""
    senders = getattr(token, "senders", None)
    if senders is None or senders.get(address) == sender:
        return
    senders[address] = sender
    _cache.set(_cached(token.key_hash), token, CACHE_SECONDS)


def cached_sender(token: ApiToken, address: str):
    """The sender ``remember_sender`` kept for ``address``, or None."""
    return getattr(token, "senders", {}).get(address)


def end_tokens(key_hashes) -> None:
    """These tokens were revoked or deleted: no cached copy may answer for them again."""
    key_hashes = list(key_hashes)
    if key_hashes:
        _cache.set_many({_ended(h): True for h in key_hashes}, ENDED_SECONDS)
        _cache.delete_many([_cached(h) for h in key_hashes])


def forget_organization(organization_id: int) -> None:
    """Something cached with the organization's tokens changed (the organization, a
    sender): the next call reads them from the database again."""
    hashes = ApiToken.objects.filter(organization_id=organization_id).values_list(
        "key_hash", flat=True
    )
    _cache.delete_many([_cached(h) for h in hashes])


def revoke_token(*, organization: Organization, token_id: int) -> bool:
    """Revoke one of the organization's tokens; whether it was active until now."""
    tokens = ApiToken.objects.filter(
        pk=token_id, organization=organization, revoked_at__isnull=True
    )
    hashes = list(tokens.values_list("key_hash", flat=True))
    revoked = bool(tokens.update(revoked_at=timezone.now()))
    end_tokens(hashes)
    return revoked
