"""Messages counted per hour and status (``MessageCount``): exact, and cheap to read.

The SMS Status summary and the Handoff home count millions of messages over 30 days;
scanning them takes seconds. The triggers of migration 0004 keep a row of +n / -n per
change in ``MessageCount``; this module reads them and folds them.

Reading is exact to the microsecond: whole hours come from the counts, the partial
hour at each end of a period from the messages themselves (one hour of rows at most).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, QuerySet, Sum

from accounts.locks import lock_for_transaction
from messaging.models import Message, MessageCount

HOUR = dt.timedelta(hours=1)


def floor_hour(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: dt.datetime) -> dt.datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def counts_by_status(
    messages: QuerySet[Message],
    counts: QuerySet[MessageCount],
    *,
    since: dt.datetime,
    until: dt.datetime | None = None,
) -> Counter[str]:
    """Messages per status requested in ``[since, until)``.

    ``messages`` and ``counts`` must be narrowed the same way (organization, direction,
    channel, status): only those fields exist on both.
    """
    first = ceil_hour(since)
    last = floor_hour(until) if until is not None else None
    if last is not None and last <= first:
        return _from_messages(messages.filter(requested_at__gte=since, requested_at__lt=until))
    whole = counts.filter(hour__gte=first)
    edges = [messages.filter(requested_at__gte=since, requested_at__lt=first)]
    if last is not None:
        whole = whole.filter(hour__lt=last)
        edges.append(messages.filter(requested_at__gte=last, requested_at__lt=until))
    total = Counter(
        dict(whole.order_by().values_list("status").annotate(n=Sum("n")).values_list("status", "n"))
    )
    for edge in edges:
        total.update(_from_messages(edge))
    return +total  # drops statuses whose count is 0


def _from_messages(messages: QuerySet[Message]) -> Counter[str]:
    return Counter(
        dict(
            messages.order_by()
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
    )


def hourly(counts: QuerySet[MessageCount], *, since: dt.datetime) -> Iterable[tuple]:
    """(hour, status, n) from ``since``'s hour on, for charts by day in a time zone."""
    return (
        counts.filter(hour__gte=floor_hour(since))
        .order_by()
        .values_list("hour", "status")
        .annotate(total=Sum("n"))
        .values_list("hour", "status", "total")
    )


COMPACT_POSTGRES = """
WITH touched AS (
    SELECT DISTINCT organization_id, hour, direction, channel, status
    FROM messaging_messagecount WHERE NOT settled
), gone AS (
    DELETE FROM messaging_messagecount c USING touched t
    WHERE (c.organization_id, c.hour, c.direction, c.channel, c.status)
        = (t.organization_id, t.hour, t.direction, t.channel, t.status)
    RETURNING c.organization_id, c.hour, c.direction, c.channel, c.status, c.n
)
INSERT INTO messaging_messagecount
    (organization_id, hour, direction, channel, status, n, settled)
SELECT organization_id, hour, direction, channel, status, SUM(n), true
FROM gone GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0
"""

# SQLite has one writer at a time: the same fold in two statements is just as safe.
COMPACT_SQLITE = (
    """
INSERT INTO messaging_messagecount
    (organization_id, hour, direction, channel, status, n, settled)
SELECT organization_id, hour, direction, channel, status, SUM(n), 2
FROM messaging_messagecount
WHERE (organization_id, hour, direction, channel, status) IN (
    SELECT organization_id, hour, direction, channel, status
    FROM messaging_messagecount WHERE settled = 0)
GROUP BY 1, 2, 3, 4, 5 HAVING SUM(n) <> 0
""",
    """
DELETE FROM messaging_messagecount
WHERE settled <> 2 AND (organization_id, hour, direction, channel, status) IN (
    SELECT organization_id, hour, direction, channel, status
    FROM messaging_messagecount WHERE settled = 0)
""",
    "UPDATE messaging_messagecount SET settled = 1 WHERE settled = 2",
)


def compact() -> None:
    """Fold the rows the triggers added into one settled row per key.

    One statement on PostgreSQL, so it sees one snapshot: a change committed while it
    runs keeps its row for the next fold, and no count is lost or counted twice.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        lock_for_transaction("message-counts")
        if connection.vendor == "postgresql":
            cursor.execute(COMPACT_POSTGRES)
        else:
            for statement in COMPACT_SQLITE:
                cursor.execute(statement)
