"""Transaction-scoped locks on a name, for work that has no row of its own to lock."""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_for_transaction(*parts: object) -> None:
    """Wait for, then hold until the transaction ends, the lock named by ``parts``.

    PostgreSQL advisory lock (``pg_advisory_xact_lock``) on a 64-bit hash of the
    parts, so unrelated names almost never wait for each other, and nothing else
    (rows, foreign-key checks) waits for it. Call it inside ``transaction.atomic``.
    SQLite runs one write transaction at a time, so there it does nothing.
    """
    if connection.vendor != "postgresql":
        return
    name = "\x1f".join(str(part) for part in parts).encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
