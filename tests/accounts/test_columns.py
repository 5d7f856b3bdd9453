"""accounts.columns: the fast paths render what Django's own formatting does."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from accounts.columns import LocalTimeColumn, cell_html, loaded_fields
from messaging.tables import MessageTable

UTC = dt.UTC


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Europe/Madrid", "Asia/Kolkata"])
@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC),  # New York, the minute before DST
        dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # and the minute it starts
        dt.datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # Madrid, before the hour that repeats
        dt.datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),  # a new year somewhere
        dt.datetime(1999, 1, 2, 3, 4, 5, tzinfo=UTC),
    ],
)
def test_local_time_is_what_the_date_filter_gives(zone, moment):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        local = timezone.localtime(moment)
        for format in ("Y-m-d H:i T", "Y-m-d H:i:s", "d/m/Y", "N j, Y, P"):  # noqa: A001
            expected = dateformat.format(local, format)
            assert LocalTimeColumn(format=format).render(moment) == expected


def test_the_hour_that_repeats_says_which_it_is():
    """Django's date filter leaves the zone out of an ambiguous time; the column keeps
    it, so the two 02:30 of the night summer time ends read apart."""
    with timezone.override(zoneinfo.ZoneInfo("Europe/Madrid")):
        first = LocalTimeColumn().render(dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        second = LocalTimeColumn().render(dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert (first, second) == ("2026-10-25 02:30 CEST", "2026-10-25 02:30 CET")


@pytest.mark.parametrize(
    "args",
    [
        ("+14155550101", 'He said "hi" & <left>'),
        (mark_safe("<b>bold</b>"), "it's"),
        (gettext_lazy("Delivered"), 12),
        (None, 3.5),
    ],
)
def test_cell_html_is_format_html(args):
    template = '<a href="{}" title="{}">x</a>'
    assert cell_html(template, *args) == format_html(template, *args)
    assert isinstance(cell_html(template, *args), SafeString)


def test_loaded_fields_name_the_join_or_the_foreign_key():
    joined = loaded_fields(MessageTable, "failure_code")
    assert joined == ("requested_at", "subscriber", "sender__address", "status",
                      "batch__public_id", "failure_code")  # fmt: skip
    prefetched = loaded_fields(MessageTable, "failure_code", joined=False)
    assert prefetched == ("requested_at", "subscriber", "sender", "status", "batch",
                          "failure_code")  # fmt: skip
