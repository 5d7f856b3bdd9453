import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Subaccount, parse_sending_hours
from tests.factories import SubaccountFactory


@pytest.fixture
def weekday_sub(org):
    org.time_zone = "America/New_York"
    org.save()
    return SubaccountFactory(
        organization=org, sending_hours={"mon": [["09:00", "17:00"]], "sat": [["10:00", "24:00"]]}
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_no_sending_hours_means_any_hour(org):
    sub = SubaccountFactory(organization=org)
    assert sub.allows_sending_at(at("2026-11-23T03:00:00+00:00"))


def test_sending_hours_are_read_in_the_organization_zone(weekday_sub):
    # Monday 2026-11-23 13:59 UTC is 08:59 in New York: not yet.
    assert not weekday_sub.allows_sending_at(at("2026-11-23T13:59:00+00:00"))
    assert weekday_sub.allows_sending_at(at("2026-11-23T14:00:00+00:00"))
    assert not weekday_sub.allows_sending_at(at("2026-11-23T22:00:00+00:00"))


def test_day_missing_from_map_means_no_sending(weekday_sub):
    assert not weekday_sub.allows_sending_at(at("2026-11-24T15:00:00+00:00"))  # Tuesday


def test_window_until_midnight(weekday_sub):
    assert weekday_sub.allows_sending_at(at("2026-11-29T04:30:00+00:00"))  # Sat 23:30 NY


def test_parse_sending_hours_rejects_bad_windows():
    with pytest.raises(ValidationError):
        parse_sending_hours({"funday": [["09:00", "10:00"]]})
    with pytest.raises(ValidationError):
        parse_sending_hours({"mon": [["9 am", "10:00"]]})
    assert parse_sending_hours({"mon": [["09:00", "00:00"]]}) == {"mon": [["09:00", "24:00"]]}


def test_frequency_limit_needs_both_numbers(org):
    sub = Subaccount(organization=org, name="x", frequency_limit_messages=3)
    with pytest.raises(ValidationError):
        sub.clean()
