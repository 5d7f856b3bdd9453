"""SMS Status: last 30 days, filters, summary counts, export."""

import csv
import datetime as dt
import io
import re

import pytest
from django.utils import timezone

from messaging.models import Message
from messaging.services import create_batch
from tests.factories import SenderFactory

URL = "/handoff/status/"


@pytest.fixture
def sms(org, sender, admin_user):
    SenderFactory(organization=org, kind="email", address="news@acme.example")
    create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550101"],
        text="a",
        template="welcome",
        label="spring",
        created_by=admin_user,
    )
    failed = create_batch(
        organization=org, sender=sender, subscribers=["+14155550102"], text="b", template="reminder"
    )
    Message.objects.filter(batch=failed).update(status="send_failed", failure_code=530)
    old = create_batch(organization=org, sender=sender, subscribers=["+14155550103"], text="c")
    Message.objects.filter(batch=old).update(requested_at=timezone.now() - dt.timedelta(days=31))


def rows(html):
    return html.count('href="/handoff/numbers/')


def test_only_the_last_30_days(login, agent, sms):
    html = login(agent).get(URL).content.decode()
    assert rows(html) == 2 and "+14155550103" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"mobile": "(415) 555-0101"}, 1),
        ({"template": "Welcome"}, 1),
        ({"label": "spring"}, 1),
        ({"user": "carol-admin"}, 1),
        ({"user": "CAROL-ADMIN"}, 1),
        ({"user": "nobody"}, 0),
        ({"status": "send_failed"}, 1),
        ({"requested_from": "2000-01-01"}, 2),
        ({"requested_to": "2000-01-01"}, 0),
    ],
)
def test_filters(login, agent, sms, params, expected):
    assert rows(login(agent).get(URL, params).content.decode()) == expected


def test_summary_counts_every_status_of_the_period(login, agent, sms):
    html = login(agent).get(URL, {"status": "send_failed"}).content.decode()
    summary = html[html.index('data-testid="status-summary"') :]
    assert "Send failed: <strong>1</strong>" in summary
    assert "Processing: <strong>1</strong>" in summary
    assert "530" in html or "Busy" in html


def test_export_equals_the_table(login, agent, sms):
    response = login(agent).get(URL, {"_export": "csv"})
    data = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert sorted(r[3] for r in data[1:]) == ["+14155550101", "+14155550102"]


def test_isolation_and_method(login, other_agent, agent, sms):
    assert rows(login(other_agent).get(URL).content.decode()) == 0
    assert login(agent).post(URL).status_code == 405


def test_invalid_number(login, agent, sms):
    assert (
        "not a valid phone number" in login(agent).get(URL, {"mobile": "555-0123"}).content.decode()
    )


def test_a_day_is_the_viewers_day_in_the_table_and_in_the_summary(login, agent, org, sender):
    """From/To are days in the organization's zone (Los Angeles here, 8 hours behind
    UTC, so the day crosses UTC midnight and starts in the middle of no UTC day); the
    summary, from the hourly counts, agrees with the table to the message."""
    org.time_zone = "America/Los_Angeles"
    org.save()
    zone = org.zone
    day = timezone.now().astimezone(zone).date() - dt.timedelta(days=3)
    midnight = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    for offset, template in (
        (-30, "before"),
        (30, "in"),
        (23 * 60 + 30, "in"),
        (24 * 60 + 30, "after"),
    ):
        batch = create_batch(
            organization=org,
            sender=sender,
            subscribers=["+14155550101"],
            text="x",
            template=template,
        )
        at = midnight + dt.timedelta(minutes=offset)
        Message.objects.filter(batch=batch).update(requested_at=at, status="delivered")
    params = {"requested_from": day.isoformat(), "requested_to": day.isoformat()}
    html = login(agent).get(URL, params).content.decode()
    assert rows(html) == 2
    assert "Delivered: <strong>2</strong>" in html
    narrowed = login(agent).get(URL, {**params, "template": "in"}).content.decode()
    assert rows(narrowed) == 2 and "Delivered: <strong>2</strong>" in narrowed
    everything = login(agent).get(URL).content.decode()
    assert "Delivered: <strong>4</strong>" in everything


def test_a_user_without_batches_has_an_empty_summary(login, agent, sms):
    html = login(agent).get(URL, {"user": "nobody"}).content.decode()
    assert rows(html) == 0
    assert 'data-testid="status-summary"' not in html


def test_the_user_filter_stays_in_the_organization(login, agent, sms, other_org, other_admin):
    theirs = SenderFactory(organization=other_org, address="99999")
    create_batch(
        organization=other_org,
        sender=theirs,
        subscribers=["+14155550199"],
        text="theirs",
        created_by=other_admin,
    )
    html = login(agent).get(URL, {"user": other_admin.username}).content.decode()
    assert rows(html) == 0 and "+14155550199" not in html


def summary(html):
    if 'data-testid="status-summary"' not in html:
        return {}
    part = html[html.index('data-testid="status-summary"') :]
    part = part[: part.index("</div>")]
    badges = part.split('<span class="badge text-bg-light border">')[1:]
    return {b.split(":")[0]: int(b.split("<strong>")[1].split("<")[0]) for b in badges}


@pytest.fixture
def tagged(org, sender, other_org, other_admin):
    """Messages by template and label, in any case, beside another organization's."""
    for template, label, status, n in (
        ("OTP", "login", "delivered", 3),
        ("otp", "Login", "send_failed", 2),
        ("otp", "signup", "delivered", 1),
        ("promo", "login", "delivered", 4),
    ):
        batch = create_batch(
            organization=org,
            sender=sender,
            subscribers=[f"+1415555{i:04d}" for i in range(n)],
            text="x",
            template=template,
            label=label,
        )
        Message.objects.filter(batch=batch).update(status=status)
    theirs = SenderFactory(organization=other_org, address="99999")
    create_batch(
        organization=other_org,
        sender=theirs,
        subscribers=["+14155550999"],
        text="x",
        template="otp",
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"template": "Otp"}, {"Delivered": 4, "Send failed": 2}),
        ({"label": "LOGIN"}, {"Delivered": 7, "Send failed": 2}),
        ({"template": "otp", "label": "login"}, {"Delivered": 3, "Send failed": 2}),
        ({"template": "otp", "status": "send_failed"}, {"Delivered": 4, "Send failed": 2}),
        ({"template": "otp", "mobile": "+14155550000"}, {"Delivered": 2, "Send failed": 1}),
        ({"template": "nothing-like-it"}, {}),
    ],
)
def test_the_summary_by_template_and_label_counts_what_the_table_lists(
    login, agent, tagged, params, expected
):
    """Template and label match in any case; the summary (from the hourly counts by
    template and label) agrees with the rows listed, and ignores only the status."""
    html = login(agent).get(URL, params).content.decode()
    assert summary(html) == expected
    listed = sum(expected.values()) if "status" not in params else expected["Send failed"]
    assert rows(html) == listed


@pytest.mark.postgresql
@pytest.mark.parametrize("name", ["template", "label"])
def test_the_template_and_label_filters_can_use_their_partial_indexes(org, tagged, name):
    """The filters repeat the indexes' ``<> ''`` condition: without it PostgreSQL cannot
    prove the partial index applies, and at 10M messages a value that matches nothing
    reads the whole 30-day window (47 s measured)."""
    from django.db import connection

    from handoff.status import SmsStatusFilter, sms_in_window
    from messaging.models import Batch

    filterset = SmsStatusFilter(
        {name: "nothing-like-it"},
        queryset=sms_in_window(Message.objects.filter(organization=org)),
        country="US",
        batches=Batch.objects.filter(organization=org),
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the test table is tiny
        plan = filterset.qs.order_by("-requested_at", "-id")[:51].explain()
    short = {"template": "tpl", "label": "label"}[name]
    assert f"message_org_{short}_newest_idx" in plan


def test_the_window_starts_on_the_hour_thirty_days_ago(login, agent, org, sender):
    """The page's 30 days begin on an hour, so its summary comes whole from the hourly
    counts; the table and the summary agree on the first and last message in it."""
    start = (timezone.now() - dt.timedelta(days=30)).replace(minute=0, second=0, microsecond=0)
    for at, template in ((start, "first"), (start - dt.timedelta(microseconds=1), "before")):
        batch = create_batch(
            organization=org,
            sender=sender,
            subscribers=["+14155550101"],
            text="x",
            template=template,
        )
        Message.objects.filter(batch=batch).update(requested_at=at, status="delivered")
    html = login(agent).get(URL).content.decode()
    assert rows(html) == 1 and ">first<" in html and ">before<" not in html
    assert summary(html) == {"Delivered": 1}


def test_past_the_sort_limit_only_the_request_time_sorts(login, agent, org, tagged, monkeypatch):
    """Sorting millions of messages by status takes seconds: past the limit the other
    headers stop offering it, a sort asked for in the URL is ignored (newest first
    stays), and the page says how to get it back."""
    monkeypatch.setattr("handoff.views.SORT_LIMIT", 5)
    client = login(agent)
    html = client.get(URL, {"sort": "status"}).content.decode()
    assert 'data-testid="sort-limit"' in html and "up to 5 messages" in html
    head = html[html.index("<thead") : html.index("</thead>")]
    assert "sort=status" not in head and "sort=requested_at" in head
    newest_first = [
        m.get_status_display()
        for m in Message.objects.filter(organization=org).order_by("-requested_at", "-id")
    ]
    assert statuses(html) == newest_first != sorted(newest_first)

    narrowed = client.get(URL, {"template": "promo", "sort": "status"}).content.decode()
    head = narrowed[narrowed.index("<thead") : narrowed.index("</thead>")]
    assert 'data-testid="sort-limit"' not in narrowed and "sort=-status" in head
    assert rows(narrowed) == 4
    # 2 failed "otp" messages listed, but a sort reads all 6 "otp" ones: not offered
    failed = client.get(URL, {"template": "otp", "status": "send_failed"}).content.decode()
    head = failed[failed.index("<thead") : failed.index("</thead>")]
    assert 'data-testid="sort-limit"' in failed and "sort=status" not in head


def statuses(html):
    """The status of each row, in the order listed."""
    body = html[html.index("<tbody") :]
    return re.findall(r'<td[^>]*><span title="[^"]*">([^<]+)</span>', body)


def test_the_last_day_a_date_can_hold_is_a_to_day_like_any_other(login, agent, sms):
    everything = login(agent).get(URL).content.decode()
    html = login(agent).get(URL, {"requested_to": "9999-12-31"}).content.decode()
    assert rows(html) == rows(everything) > 0


@pytest.fixture
def failures_behind_a_batch(org, sender):
    """Two failed messages in the last second and the first second of their hours,
    three hours before a batch of delivered ones (with a template and a label)."""
    top = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
    for at, number in (
        (top - dt.timedelta(microseconds=1), "+14155550111"),
        (top - dt.timedelta(hours=1), "+14155550112"),
    ):
        batch = create_batch(
            organization=org, sender=sender, subscribers=[number], text="x", template="otp"
        )
        Message.objects.filter(batch=batch).update(requested_at=at, status="send_failed")
    create_batch(
        organization=org,
        sender=sender,
        subscribers=[f"+1415555{n:04d}" for n in range(200, 230)],
        text="y",
        template="otp",
    )


@pytest.mark.parametrize("params", [{}, {"template": "OTP"}])
def test_a_status_only_older_messages_have_is_listed_whole(
    login, agent, failures_behind_a_batch, params
):
    """The list reads within the hours the counts know of that status (not through
    the newer batch first): the messages on those hours' edges are listed all the same,
    newest first and oldest first."""
    client = login(agent)
    html = client.get(URL, {**params, "status": "send_failed"}).content.decode()
    assert re.findall(r">(\+1415555011\d)<", html) == ["+14155550111", "+14155550112"]
    html = client.get(URL, {**params, "status": "send_failed", "sort": "requested_at"}).content
    assert re.findall(r">(\+1415555011\d)<", html.decode()) == ["+14155550112", "+14155550111"]


def test_a_status_with_no_message_in_the_period_reads_no_message(
    login, agent, failures_behind_a_batch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(agent)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL, {"status": "cancelled"}).content.decode()
    assert rows(html) == 0
    listing = [q for q in queries if 'FROM "messaging_message"' in q["sql"] and "LIMIT" in q["sql"]]
    assert not listing
