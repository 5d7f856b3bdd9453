"""Every foreign key of a message is the leading column of an index (lookups and
cascades), and none has a second single-column index that only costs writes."""

import pytest
from django.db import connection

from messaging.models import Message
from tests.plans import page_plans, prefer_indexes


@pytest.mark.django_db
def test_each_foreign_key_leads_one_index_and_no_index_duplicates_a_composite():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Message._meta.db_table)
    indexes = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    for field in Message._meta.concrete_fields:
        if field.is_relation:
            assert any(columns[0] == field.column for columns in indexes), field.column
    for columns in indexes:
        if len(columns) == 1:
            longer = [c for c in indexes if len(c) > 1 and c[0] == columns[0]]
            assert not longer, f"index on {columns[0]} alone beside {longer}"


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "path", ["/handoff/messages/", "/handoff/status/", "/handoff/replies/", "/messaging/"]
)
def test_platform_staff_read_every_organizations_messages_along_an_index(
    login, staff, org, sender, path
):
    """Staff lists have no organization to lead an index with: without the newest-first
    index each such page sorted every message (4.7 s at 10M)."""
    from messaging.services import create_batch

    create_batch(organization=org, sender=sender, subscribers=["+14155550101"], text="Hi")
    plans = page_plans(
        login(staff),
        path,
        reads=lambda sql: 'FROM "messaging_message"' in sql and "LIMIT" in sql,
    )
    assert any("message_recent_idx" in plan for plan in plans), plans


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "narrow",
    [
        {"organization": True},
        {"sender": True},
        {"organization": True, "direction": "inbound"},
        {"organization": True, "template__iexact": "otp"},
    ],
    ids=["organization", "channel", "replies", "template"],
)
def test_a_page_of_a_batch_newest_first_needs_no_sort(org, sender, narrow):
    """A batch's messages share its request time, and the pages order by
    ``-requested_at, -id``: the indexes end with the id, or PostgreSQL read and sorted
    the whole newest batch for every page (15 ms per 30,000 messages)."""
    from messaging.services import create_batch

    create_batch(
        organization=org,
        sender=sender,
        subscribers=[f"+1415555{n:04d}" for n in range(100, 130)],
        text="Hi",
        template="otp",
    )
    lookups = {"organization": org} if narrow.pop("organization", False) else {}
    if narrow.pop("sender", False):
        lookups["sender"] = sender
    queryset = Message.objects.filter(**lookups, **narrow)
    if "template__iexact" in narrow:
        queryset = queryset.filter(direction="outbound").exclude(template="")
    with connection.cursor() as cursor:
        prefer_indexes(cursor, "enable_incremental_sort")
        plan = queryset.order_by("-requested_at", "-id")[:51].explain()
    assert "Sort" not in plan and "message_recent_idx" not in plan, plan


@pytest.mark.postgresql
def test_a_short_search_newest_first_is_not_walked_along_the_newest_first_index(
    login, agent, org, sender
):
    """Newest first, PostgreSQL walked the organization's newest-first index and
    skipped every message the search did not match: 57,000 read for a prefix that
    matched 10,000 of 10M (290 ms). A search known to be short is ordered by a key no
    index gives, so the planner picks the scan by the search alone (the number index
    at scale) and sorts the few: with sorts made dear, the plan still sorts."""
    from messaging.services import create_batch

    create_batch(organization=org, sender=sender, subscribers=["+14155550101"], text="Hi")
    plans = page_plans(
        login(agent),
        "/messaging/",
        {"q": "41555501"},
        reads=lambda sql: 'FROM "messaging_message"' in sql and "ORDER BY" in sql,
    )
    assert len(plans) == 1, plans
    plan = [line.strip() for line in plans[0].splitlines()]
    assert plan[0].startswith("Limit") and plan[1].startswith("->  Sort"), plan
    assert plan[2].startswith("Sort Key: (COALESCE(") and "requested_at" in plan[2], plan


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("user", "params", "index"),
    [
        ("staff", {}, "batch_recent_idx"),
        ("agent", {"file_name": "july"}, "batch_from_file_idx"),
    ],
)
def test_the_batches_list_reads_along_an_index(request, login, org, sender, user, params, index):
    """Staff's batches have no organization to lead an index with (369 ms at 361,781
    batches, sorted whole); the File name filter read every batch (145-204 ms)."""
    from messaging.services import create_batch

    create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550101"],
        text="Hi",
        trigger="file",
        file_name="july.csv",
    )
    plans = page_plans(
        login(request.getfixturevalue(user)),
        "/handoff/batches/",
        params,
        reads=lambda sql: 'FROM "messaging_batch"' in sql,
    )
    assert all(index in plan for plan in plans), plans


@pytest.mark.postgresql
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/messaging/", {"q": "+1415555010"}),
        ("/handoff/messages/", {"customer_number": "4155550101"}),
    ],
)
def test_counting_a_searchs_matches_reads_the_number_index_alone(
    login, agent, org, sender, path, params
):
    """Whether a search is short enough to sort by any column is a count up to the
    limit. Without the organization in the number index it read a heap page per match
    to check it: 89 ms for a prefix with 100,000 matches at 10M, 3 ms index-only."""
    from messaging.services import create_batch

    create_batch(organization=org, sender=sender, subscribers=["+14155550101"], text="Hi")
    plans = page_plans(
        login(agent), path, params, reads=lambda sql: sql.startswith("SELECT COUNT(*)")
    )
    assert len(plans) == 1, plans
    assert "Index Only Scan using message_subscriber_org_idx" in plans[0], plans[0]
