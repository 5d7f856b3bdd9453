"""Interceptions: the code table, checks at the exact expiry, expiry sweep, delete rights, page."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.access import Actor
from blocklists import interceptions as service
from blocklists.models import Interception, InterceptionEvent, InterceptionRule
from tests.plans import prefer_indexes

T0 = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
NUMBER = "+14155550123"


@pytest.mark.parametrize(
    ("code", "scope", "duration"),
    [
        (500, "global", dt.timedelta(days=30)),
        (510, "global", dt.timedelta(hours=1)),
        (520, "local", dt.timedelta(hours=1)),
        (550, "local", dt.timedelta(hours=1)),
        (560, "global", dt.timedelta(hours=1)),
        (570, "global", dt.timedelta(hours=1)),
        (530, None, None),
        (540, None, None),
        (580, None, None),
        (590, None, None),
    ],
)
def test_each_failure_code_follows_the_code_table(org, code, scope, duration):
    made = service.intercept_from_failure(number=NUMBER, code=code, organization=org, at=T0)
    if scope is None:
        assert made is None and not Interception.objects.exists()
        return
    assert (made.scope, made.expires_at - made.intercepted_at) == (scope, duration)
    assert made.organization == (org if scope == "local" else None)
    assert made.source_organization == org
    assert InterceptionEvent.objects.get().action == "created"


def test_code_table_is_data_staff_can_change(org):
    InterceptionRule.objects.filter(code=530).update(scope="local", duration=dt.timedelta(hours=2))
    made = service.intercept_from_failure(number=NUMBER, code=530, organization=org, at=T0)
    assert made.scope == "local" and made.expires_at == T0 + dt.timedelta(hours=2)


def test_repeated_failure_extends_and_never_shortens(org):
    service.intercept_from_failure(number=NUMBER, code=500, organization=org, at=T0)
    later = T0 + dt.timedelta(days=1)
    again = service.intercept_from_failure(number=NUMBER, code=510, organization=org, at=later)
    assert again.expires_at == T0 + dt.timedelta(days=30)  # 1 hour would shorten it
    third = service.intercept_from_failure(number=NUMBER, code=500, organization=org, at=later)
    assert third.expires_at == later + dt.timedelta(days=30)
    assert Interception.objects.count() == 1
    assert list(InterceptionEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "created",
        "extended",
    ]


def test_global_blocks_everyone_local_only_its_organization(org, other_org):
    service.intercept_from_failure(number=NUMBER, code=520, organization=org, at=T0)
    service.intercept_from_failure(number="+14155550124", code=510, organization=org, at=T0)
    at = T0 + dt.timedelta(minutes=5)
    mine = service.active_interceptions_among(
        organization=org, numbers=[NUMBER, "+14155550124", "+14155550125"], at=at
    )
    theirs = service.active_interceptions_among(
        organization=other_org, numbers=[NUMBER, "+14155550124"], at=at
    )
    assert set(mine) == {NUMBER, "+14155550124"}
    assert set(theirs) == {"+14155550124"}


def test_global_wins_over_local(org):
    service.intercept_from_failure(number=NUMBER, code=520, organization=org, at=T0)
    service.intercept_from_failure(number=NUMBER, code=510, organization=org, at=T0)
    found = service.active_interceptions_among(organization=org, numbers=[NUMBER], at=T0)
    assert found[NUMBER].scope == "global"
    listed = service.interceptions_for(organization=org, number=NUMBER, at=T0)
    assert [i.scope for i in listed] == ["global", "local"]


def test_stops_blocking_exactly_at_expiry(org):
    service.intercept_from_failure(number=NUMBER, code=510, organization=org, at=T0)
    expiry = T0 + dt.timedelta(hours=1)
    with time_machine.travel(expiry - dt.timedelta(microseconds=1), tick=False):
        assert service.active_interceptions_among(organization=org, numbers=[NUMBER])
        assert service.interceptions_for(organization=org, number=NUMBER)
    with time_machine.travel(expiry, tick=False):
        assert service.active_interceptions_among(organization=org, numbers=[NUMBER]) == {}
        assert service.interceptions_for(organization=org, number=NUMBER) == []


def test_lookups_are_chunked(org, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(service, "chunk_size", lambda: 2)
    with django_assert_num_queries(3):
        service.active_interceptions_among(
            organization=org, numbers=[f"+1415555010{n}" for n in range(5)]
        )


def test_expiry_sweep_deletes_expired_and_logs_each(org, other_org):
    for n in range(5):
        service.intercept_from_failure(number=f"+1415555010{n}", code=510, organization=org, at=T0)
    service.intercept_from_failure(number=NUMBER, code=500, organization=other_org, at=T0)
    expired = service.expire_interceptions(at=T0 + dt.timedelta(hours=2), batch_size=2)
    assert expired == 5
    assert list(Interception.objects.values_list("number", flat=True)) == [NUMBER]
    logged = InterceptionEvent.objects.filter(action="expired")
    assert logged.count() == 5 and {e.source_organization_id for e in logged} == {org.pk}
    assert service.expire_interceptions(at=T0 + dt.timedelta(hours=2)) == 0


# Delete rights --------------------------------------------------------------------------


@pytest.fixture
def own_global(org):
    return service.intercept_from_failure(number=NUMBER, code=500, organization=org)


@pytest.fixture
def foreign_global(other_org):
    return service.intercept_from_failure(number="+14155550999", code=500, organization=other_org)


def test_supervisor_deletes_own_organizations_interception(supervisor, own_global):
    assert service.delete_interception(
        interception_id=own_global.pk, actor=Actor.for_user(supervisor)
    )
    assert not Interception.objects.exists()
    event = InterceptionEvent.objects.get(action="deleted")
    assert event.actor_name == "bob-supervisor"


def test_nobody_but_staff_deletes_another_organizations(supervisor, admin_user, foreign_global):
    for user in (supervisor, admin_user):
        with pytest.raises(PermissionDenied):
            service.delete_interception(
                interception_id=foreign_global.pk, actor=Actor.for_user(user)
            )
    assert Interception.objects.filter(pk=foreign_global.pk).exists()


def test_staff_delete_any(staff, foreign_global):
    assert service.delete_interception(
        interception_id=foreign_global.pk, actor=Actor.for_user(staff)
    )


def test_agent_cannot_delete(agent, own_global):
    assert not service.can_delete(Actor.for_user(agent), own_global)


# The page --------------------------------------------------------------------------------


def delete_url(interception):
    return reverse("blocklists:interception-delete", args=[interception.pk])


def test_agent_sees_the_interceptions_without_delete(login, agent, own_global, foreign_global):
    html = login(agent).get(reverse("blocklists:interceptions")).content.decode()
    assert NUMBER in html and "+14155550999" in html  # both global
    assert "Delete" not in html and "Contact support" in html


def test_supervisor_sees_delete_only_on_own(login, supervisor, own_global, foreign_global):
    html = login(supervisor).get(reverse("blocklists:interceptions")).content.decode()
    assert html.count(">Delete</a>") == 1 and "Contact support" in html
    assert "Your organization" in html and "Another organization" in html


def test_search_by_number_any_format(login, agent, own_global, foreign_global):
    html = (
        login(agent)
        .get(reverse("blocklists:interceptions"), {"number": "(415) 555-0123"})
        .content.decode()
    )
    assert NUMBER in html and "+14155550999" not in html


def test_other_organizations_local_interception_is_invisible(login, other_agent, org):
    local = service.intercept_from_failure(number=NUMBER, code=520, organization=org)
    html = login(other_agent).get(reverse("blocklists:interceptions")).content.decode()
    assert NUMBER not in html
    assert login(other_agent).get(delete_url(local)).status_code == 403  # role first


def test_delete_page_checks(login, supervisor, agent, other_admin, org, own_global):
    local = service.intercept_from_failure(number=NUMBER, code=520, organization=org)
    assert login(supervisor).get(delete_url(own_global)).status_code == 200
    assert login(agent).get(delete_url(own_global)).status_code == 403
    assert login(other_admin).get(delete_url(local)).status_code == 404
    assert login(other_admin).get(delete_url(own_global)).status_code == 403  # global, not theirs
    assert login(supervisor).put(delete_url(own_global)).status_code == 405


def test_delete_confirmed_says_what_it_did(login, supervisor, own_global):
    response = login(supervisor).post(delete_url(own_global), follow=True)
    assert "deleted: messages to it are no longer stopped" in response.content.decode()
    assert not Interception.objects.exists()
    again = login(supervisor).post(delete_url(own_global), follow=True)
    assert "already gone" in again.content.decode()


def test_interceptions_page_wrong_method(login, agent):
    assert login(agent).post(reverse("blocklists:interceptions")).status_code == 405


def test_subscriber_panel_shows_interceptions(login, agent, own_global):
    html = (
        login(agent)
        .get(reverse("blocklists:subscriber-panel"), {"address": NUMBER})
        .content.decode()
    )
    assert "Intercepted" in html and "code 500" in html


@pytest.fixture
def three_numbers(org):
    """Intercepted one after another: +1415…0103 first, +1415…0101 last."""
    for minutes, number, code in ((0, "+14155550103", 510), (1, "+14155550102", 570)):
        service.intercept_from_failure(
            number=number, code=code, organization=org, at=T0 + dt.timedelta(minutes=minutes)
        )
    service.intercept_from_failure(
        number="+14155550101", code=520, organization=org, at=T0 + dt.timedelta(minutes=2)
    )


def listed(html):
    return re.findall(r'font-monospace">(\+\d+)</td>', html)


def header(html):
    return html.split("<thead")[1].split("</thead>")[0]


def test_the_list_is_newest_first_and_sorts_by_time_always(login, agent, three_numbers):
    client = login(agent)
    html = client.get(reverse("blocklists:interceptions")).content.decode()
    assert listed(html) == ["+14155550101", "+14155550102", "+14155550103"]
    html = client.get(reverse("blocklists:interceptions"), {"sort": "intercepted_at"}).content
    assert listed(html.decode()) == ["+14155550103", "+14155550102", "+14155550101"]


def test_other_columns_sort_within_a_number_search_only(login, agent, three_numbers, monkeypatch):
    """Sorting 1M interceptions by number or code read and sorted them all (360 ms)."""
    client = login(agent)
    url = reverse("blocklists:interceptions")
    html = client.get(url, {"sort": "number"}).content.decode()
    assert 'data-testid="sort-limit"' in html and "sort=number" not in header(html)
    assert listed(html) == ["+14155550101", "+14155550102", "+14155550103"]  # newest first
    html = client.get(url, {"number": "+1415555", "sort": "-number"}).content.decode()
    assert 'data-testid="sort-limit"' not in html and "sort=number" in header(html)
    assert listed(html) == ["+14155550103", "+14155550102", "+14155550101"]
    monkeypatch.setattr("blocklists.interception_views.SORT_LIMIT", 2)
    html = client.get(url, {"number": "+1415555", "sort": "-number"}).content.decode()
    assert 'data-testid="sort-limit"' in html
    assert listed(html) == ["+14155550101", "+14155550102", "+14155550103"]


@pytest.mark.postgresql
def test_the_newest_first_page_is_read_along_an_index(org, three_numbers):
    from django.db import connection

    queryset = Interception.objects.filter(service._visible(org)).order_by("-intercepted_at", "-id")
    with connection.cursor() as cursor:
        prefer_indexes(cursor)
        plan = queryset[:51].explain()
    assert "interception_recent_idx" in plan and "Sort" not in plan, plan
