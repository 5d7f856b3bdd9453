"""Date filters of the agent's lists: days in the viewer's time zone, read as instants.

``requested_at__date__gte`` casts every row's time to a date in the viewer's time zone,
which no index serves: at 10M messages a "To" day weeks back, or a "From" day with
nothing after it, read every message of the organization (seconds). The same day as
a range of instants, ``[midnight, next midnight)``, is an index range.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the current (the viewer's) time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def day_end(day: dt.date) -> dt.datetime | None:
    """Midnight after ``day``, or None when ``day`` is the last one a date can hold."""
    if day >= dt.date.max:
        return None
    return day_start(day + dt.timedelta(days=1))


class DayFilter(django_filters.DateFilter):
    """Rows whose ``field_name`` falls on or after (``end="from"``) or on or before
    (``end="to"``) a day, as an index range on the field."""

    def __init__(self, *args, end: str, **kwargs):
        if end not in ("from", "to"):
            raise ValueError(f"end is 'from' or 'to', not {end!r}")
        self.end = end
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        if self.end == "from":
            return qs.filter(**{f"{self.field_name}__gte": day_start(value)})
        until = day_end(value)
        return qs if until is None else qs.filter(**{f"{self.field_name}__lt": until})
