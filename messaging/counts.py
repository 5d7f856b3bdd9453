"""Messages counted per hour and status (``MessageCount``; ``TemplateCount`` also by
template and label): exact, and cheap to read.

The SMS Status summary and the Handoff home count millions of messages over 30 days;
scanning them takes seconds. The triggers of migrations 0004 and 0006 keep a row of
+n / -n per change in the counts; this module reads them and folds them.

Reading is exact to the microsecond: whole hours come from the counts, the partial
hour at each end of a period from the messages themselves (one hour of rows at most).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Max, Min, QuerySet, Sum

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

    ``messages`` and ``counts`` must be narrowed the same way (organization, channel,
    status; direction on ``MessageCount``, template and label on ``TemplateCount``).
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


def hours_with_messages(
    counts: QuerySet,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> tuple[dt.datetime, dt.datetime] | None:
    """``[first, last)``: from the oldest hour in which ``counts`` (narrowed by the
    caller: status, channel, ...) count a message to the end of the newest such hour,
    within the hours that overlap ``[since, until)``; None when there is no message.

    Every message ``counts`` count lies in that range, so a list may read its
    messages within it: a newest-first read of the messages for a status that only
    older ones have otherwise walks past every newer message first (360 ms behind a
    batch of 180,000 that had none).
    """
    if since is not None:
        counts = counts.filter(hour__gte=floor_hour(since))
    if until is not None:
        counts = counts.filter(hour__lt=ceil_hour(until))
    hours = counts.order_by().values("hour").annotate(total=Sum("n")).filter(total__gt=0)
    found = hours.aggregate(first=Min("hour"), last=Max("hour"))
    if found["first"] is None:
        return None
    return found["first"], found["last"] + HOUR


def within_counted_hours(
    messages: QuerySet[Message],
    counts: QuerySet,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Message]:
    """``messages`` read only within ``hours_with_messages(counts, ...)``, or none when
    there is no such hour. ``counts`` must count those messages, narrowed the same way."""
    hours = hours_with_messages(counts, since=since, until=until)
    if hours is None:
        return messages.none()
    return messages.filter(requested_at__gte=hours[0], requested_at__lt=hours[1])


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


# The tables of counts and their keys: one settled row per key after a fold.
FOLDED = {
    "messaging_messagecount": "organization_id, hour, direction, channel, status",
    "messaging_templatecount": "organization_id, hour, channel, status, template, label",
}

COMPACT_POSTGRES = """
WITH touched AS (
    SELECT DISTINCT {key} FROM {table} WHERE NOT settled
), gone AS (
    DELETE FROM {table} c USING touched t
    WHERE ({c_key}) = ({t_key})
    RETURNING {c_key}, c.n
)
INSERT INTO {table} ({key}, n, settled)
SELECT {key}, SUM(n), true FROM gone GROUP BY {positions} HAVING SUM(n) <> 0
"""

# SQLite has one writer at a time: the same fold in three statements is just as safe.
COMPACT_SQLITE = (
    """
INSERT INTO {table} ({key}, n, settled)
SELECT {key}, SUM(n), 2 FROM {table}
WHERE ({key}) IN (SELECT {key} FROM {table} WHERE settled = 0)
GROUP BY {positions} HAVING SUM(n) <> 0
""",
    """
DELETE FROM {table}
WHERE settled <> 2 AND ({key}) IN (SELECT {key} FROM {table} WHERE settled = 0)
""",
    "UPDATE {table} SET settled = 1 WHERE settled = 2",
)


def _fold_statements(vendor: str) -> list[str]:
    statements = []
    for table, key in FOLDED.items():
        columns = [column.strip() for column in key.split(",")]
        names = {
            "table": table,
            "key": key,
            "c_key": ", ".join(f"c.{column}" for column in columns),
            "t_key": ", ".join(f"t.{column}" for column in columns),
            "positions": ", ".join(str(i + 1) for i in range(len(columns))),
        }
        templates = [COMPACT_POSTGRES] if vendor == "postgresql" else COMPACT_SQLITE
        statements += [template.format(**names) for template in templates]
    return statements


def compact() -> None:
    """Fold the rows the triggers added into one settled row per key, in both tables.

    One statement per table on PostgreSQL, so each sees one snapshot: a change committed
    while it runs keeps its row for the next fold, and no count is lost or counted twice.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        lock_for_transaction("message-counts")
        for statement in _fold_statements(connection.vendor):
            cursor.execute(statement)
