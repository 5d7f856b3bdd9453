"""Timed blocks on phone numbers after delivery failures: create, check, delete, expire.

Messaging calls ``intercept_from_failure`` for every ``send_failed`` receipt and
``active_interceptions_among`` in its guards; the suppression check API uses
``interceptions_for``. An interception stops blocking at its expiration time
exactly (every check compares with now); the beat task ``expire_interceptions``
only tidies the table and writes the ``expired`` events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Organization
from blocklists.lookups import chunk_size, number_in
from blocklists.models import (
    Interception,
    InterceptionAction,
    InterceptionEvent,
    InterceptionOrigin,
    InterceptionRule,
    InterceptionScope,
)

EXPIRY_BATCH = 50_000

# The code table as the issue gives it (also written by migration 0004); platform
# staff change durations in the admin. Written again only if the table is empty.
DEFAULT_RULES = [
    (500, "Empty", InterceptionScope.GLOBAL, dt.timedelta(days=30)),
    (510, "Out of service", InterceptionScope.GLOBAL, dt.timedelta(hours=1)),
    (520, "Blacklist", InterceptionScope.LOCAL, dt.timedelta(hours=1)),
    (530, "Busy", "", None),
    (540, "No answer", "", None),
    (550, "Interception", InterceptionScope.LOCAL, dt.timedelta(hours=1)),
    (560, "Break down", InterceptionScope.GLOBAL, dt.timedelta(hours=1)),
    (570, "Not in service", InterceptionScope.GLOBAL, dt.timedelta(hours=1)),
    (580, "Power off", "", None),
    (590, "Other", "", None),
]


def rule_for(code: int) -> InterceptionRule | None:
    """The code table's rule for ``code`` (the defaults are written if the table is empty)."""
    rule = InterceptionRule.objects.filter(code=code).first()
    if rule is None and not InterceptionRule.objects.exists():
        for number, description, scope, duration in DEFAULT_RULES:
            InterceptionRule.objects.get_or_create(
                code=number,
                defaults={"description": description, "scope": scope, "duration": duration},
            )
        rule = InterceptionRule.objects.filter(code=code).first()
    return rule


def _event(interception: Interception, action: str, *, actor=None, at=None) -> InterceptionEvent:
    return InterceptionEvent.objects.create(
        number=interception.number,
        action=action,
        scope=interception.scope,
        organization_id=interception.organization_id,
        source_organization_id=interception.source_organization_id,
        code=interception.code,
        reason=interception.reason,
        expires_at=interception.expires_at,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        created_at=at or timezone.now(),
    )


def intercept_from_failure(
    *, number: str, code: int, organization: Organization, at: dt.datetime | None = None
) -> Interception | None:
    """Apply the code table to a failed send of ``organization`` to ``number``.

    Creates the interception, or extends an existing one of the same scope to the
    later expiry; returns None when the code intercepts nothing. Writes a
    ``created`` or ``extended`` InterceptionEvent.
    """
    rule = rule_for(code)
    if rule is None or not rule.intercepts:
        return None
    at = at or timezone.now()
    expires_at = at + rule.duration
    local = rule.scope == InterceptionScope.LOCAL
    lookup = {"number": number, "scope": rule.scope}
    lookup["organization"] = organization if local else None
    for _attempt in range(2):
        try:
            with transaction.atomic():
                current = Interception.objects.select_for_update().filter(**lookup).first()
                if current is None:
                    interception = Interception.objects.create(
                        **lookup,
                        source_organization=organization,
                        code=code,
                        reason=rule.description,
                        intercepted_at=at,
                        expires_at=expires_at,
                        origin=InterceptionOrigin.AUTOMATIC,
                    )
                    _event(interception, InterceptionAction.CREATED, at=at)
                    return interception
                if expires_at > current.expires_at or current.expires_at <= at:
                    current.expires_at = max(expires_at, current.expires_at)
                    current.code = code
                    current.reason = rule.description
                    current.intercepted_at = at
                    current.source_organization = organization
                    current.save()
                    _event(current, InterceptionAction.EXTENDED, at=at)
                return current
        except IntegrityError:
            continue  # a concurrent receipt created it first: extend that one
    return Interception.objects.filter(**lookup).first()


def _visible(organization: Organization | None) -> Q:
    if organization is None:
        return Q(scope=InterceptionScope.GLOBAL)
    return Q(scope=InterceptionScope.GLOBAL) | Q(
        scope=InterceptionScope.LOCAL, organization=organization
    )


def active_interceptions_among(
    *, organization: Organization, numbers: Iterable[str], at: dt.datetime | None = None
) -> dict[str, Interception]:
    """For each intercepted number, what blocks it for ``organization`` now.

    A global interception wins over a local one. One query per chunk of numbers
    (see ``blocklists.lookups``).
    """
    at = at or timezone.now()
    found: dict[str, Interception] = {}
    chunk: list[str] = []

    def flush() -> None:
        rows = number_in(
            Interception.objects.filter(_visible(organization), expires_at__gt=at),
            "number",
            chunk,
        )
        for row in rows:
            held = found.get(row.number)
            if held is None or (
                held.scope == InterceptionScope.LOCAL and row.scope == InterceptionScope.GLOBAL
            ):
                found[row.number] = row

    size = chunk_size()
    for number in numbers:
        chunk.append(number)
        if len(chunk) >= size:
            flush()
            chunk = []
    if chunk:
        flush()
    return found


def interceptions_for(
    *, organization: Organization | None, number: str, at: dt.datetime | None = None
) -> list[Interception]:
    """The active interceptions that block ``number`` for ``organization``, global first."""
    at = at or timezone.now()
    rows = Interception.objects.filter(_visible(organization), number=number, expires_at__gt=at)
    return sorted(rows, key=lambda row: (row.scope != InterceptionScope.GLOBAL, row.expires_at))


def visible_interceptions(actor) -> QuerySet[Interception]:
    """What the interceptions page lists for this actor: global ones and their own local ones."""
    queryset = Interception.objects.select_related("organization", "source_organization")
    if actor.is_platform_staff:
        return queryset
    return queryset.filter(_visible(actor.organization))


def can_delete(actor, interception: Interception) -> bool:
    """Supervisors and admins delete their own organization's; platform staff any."""
    if actor.is_platform_staff:
        return True
    return (
        actor.is_supervisor
        and actor.organization is not None
        and interception.source_organization_id == actor.organization.pk
    )


def delete_interception(*, interception_id: int, actor) -> bool:
    """Delete one interception the actor may delete; writes a ``deleted`` event.

    Raises PermissionDenied for one produced by another organization (ask
    support); returns False when it is already gone.
    """
    with transaction.atomic():
        interception = Interception.objects.select_for_update().filter(pk=interception_id).first()
        if interception is None:
            return False
        if not can_delete(actor, interception):
            raise PermissionDenied(
                "This interception was produced by another organization's send: contact support "
                "to remove it."
            )
        _event(interception, InterceptionAction.DELETED, actor=actor.user)
        interception.delete()
        return True


def expire_interceptions(*, at: dt.datetime | None = None, batch_size: int = EXPIRY_BATCH) -> int:
    """Delete expired interceptions in bounded batches, writing an ``expired`` event for each.

    Set-based: on PostgreSQL one statement per batch deletes and logs
    (``WITH gone AS (DELETE ... RETURNING ...) INSERT ...``); elsewhere a select
    of ids, one bulk insert and one delete per batch. Short transactions, so the
    checks that read the table are never held up. Returns how many expired.
    """
    at = at or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                done = _expire_batch_postgresql(at, batch_size)
            else:
                done = _expire_batch_portable(at, batch_size)
        total += done
        if done < batch_size:
            return total


def _expire_batch_postgresql(at: dt.datetime, batch_size: int) -> int:
    interceptions = Interception._meta.db_table
    events = InterceptionEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH gone AS (
                DELETE FROM {interceptions}
                WHERE id IN (
                    SELECT id FROM {interceptions} WHERE expires_at <= %s
                    ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED
                )
                RETURNING number, scope, organization_id, source_organization_id, code, reason,
                          expires_at
            )
            INSERT INTO {events} (number, action, scope, organization_id,
                                  source_organization_id, code, reason, expires_at, actor_id,
                                  actor_name, created_at)
            SELECT number, %s, scope, organization_id, source_organization_id, code, reason,
                   expires_at, NULL, '', %s
            FROM gone
            """,
            [at, batch_size, InterceptionAction.EXPIRED, at],
        )
        return cursor.rowcount


def _expire_batch_portable(at: dt.datetime, batch_size: int) -> int:
    rows = list(
        Interception.objects.filter(expires_at__lte=at)
        .order_by("expires_at")
        .values(
            "id",
            "number",
            "scope",
            "organization_id",
            "source_organization_id",
            "code",
            "reason",
            "expires_at",
        )[:batch_size]
    )
    if not rows:
        return 0
    InterceptionEvent.objects.bulk_create(
        [
            InterceptionEvent(
                number=row["number"],
                action=InterceptionAction.EXPIRED,
                scope=row["scope"],
                organization_id=row["organization_id"],
                source_organization_id=row["source_organization_id"],
                code=row["code"],
                reason=row["reason"],
                expires_at=row["expires_at"],
                created_at=at,
            )
            for row in rows
        ],
        batch_size=1000,
    )
    Interception.objects.filter(pk__in=[row["id"] for row in rows]).delete()
    return len(rows)
