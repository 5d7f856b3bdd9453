"""The Handoff home's numbers: today and the last 30 days, with small server-drawn charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from accounts.access import Actor
from blocklists.models import BlocklistEvent, InterceptionEvent, InterceptionScope
from messaging.counts import counts_by_status, hourly
from messaging.models import Message, MessageCount
from messaging.statuses import MessageStatus

DAYS = 30


@dataclass
class Series:
    title: str
    today: int
    total: int
    per_day: list[tuple[dt.date, int]]

    def svg(self, width: int = 300, height: int = 60) -> str:
        """A bar per day, drawn by the server: no chart library, no script."""
        peak = max((n for _, n in self.per_day), default=0) or 1
        bar = width / max(len(self.per_day), 1)
        rects = format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>',
            (
                (
                    f"{i * bar:.1f}",
                    f"{height - n * height / peak:.1f}",
                    f"{max(bar - 1, 1):.1f}",
                    f"{n * height / peak:.1f}",
                    day.isoformat(),
                    n,
                )
                for i, (day, n) in enumerate(self.per_day)
            ),
        )
        return format_html(
            '<svg class="spark" viewBox="0 0 {} {}" width="100%" height="{}" role="img" '
            'aria-label="{} per day, last {} days" fill="currentColor">{}</svg>',
            width,
            height,
            height,
            self.title,
            DAYS,
            rects,
        )


def _series(title: str, queryset, field: str, days: list[dt.date], zone) -> Series:
    rows = dict(
        queryset.annotate(day=TruncDate(field, tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    per_day = [(day, rows.get(day, 0)) for day in days]
    return Series(title, per_day[-1][1], sum(n for _, n in per_day), per_day)


def _failed_series(counts, since: dt.datetime, days: list[dt.date], zone) -> Series:
    """Failed messages per day, from the hourly message counts (not millions of rows).

    An hour counts on the day it starts in the viewer's zone: exact for every zone a
    whole number of hours from UTC.
    """
    failed = counts.filter(status__in=[MessageStatus.SEND_FAILED, MessageStatus.PROCESS_FAILED])
    per_day: dict[dt.date, int] = {}
    for hour, _status, n in hourly(failed, since=since):
        day = hour.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + n
    series = [(day, per_day.get(day, 0)) for day in days]
    return Series("Failed messages", series[-1][1], sum(n for _, n in series), series)


def dashboard(actor: Actor) -> dict:
    """Opt-outs, opt-ins, interceptions created and messages per status; one query each."""
    zone = actor.organization.zone if actor.organization else dt.UTC
    today = timezone.now().astimezone(zone).date()
    days = [today - dt.timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    since = timezone.now() - dt.timedelta(days=DAYS + 1)
    events = actor.scope(BlocklistEvent.objects.filter(created_at__gte=since))
    own = actor.organization.pk if actor.organization else None
    interceptions = InterceptionEvent.objects.filter(action="created", created_at__gte=since)
    if not actor.is_platform_staff:
        interceptions = interceptions.filter(
            Q(scope=InterceptionScope.GLOBAL, source_organization_id=own) | Q(organization_id=own)
        )
    series = [
        _series(
            "Opt-outs", events.filter(action="added", source="opt_out"), "created_at", days, zone
        ),
        _series(
            "Opt-ins",
            events.filter(action="reverted", actor__isnull=True),
            "created_at",
            days,
            zone,
        ),
        _series("Interceptions created", interceptions, "created_at", days, zone),
        _failed_series(actor.scope(MessageCount.objects.all()), since, days, zone),
    ]
    by_status = counts_by_status(
        actor.scope(Message.objects.filter(direction="outbound")),
        actor.scope(MessageCount.objects.filter(direction="outbound")),
        since=since,
    )
    statuses = [
        (label, by_status[value]) for value, label in MessageStatus.choices if value in by_status
    ]
    return {"series": series, "statuses": statuses, "days": DAYS}
