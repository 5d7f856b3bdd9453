"""Platform staff's ticket queues read along an index: they have no organization to
lead ``ticket_queue_idx`` with."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.plans import prefer_indexes

MINE = re.compile(r'"contacts_ticket"\."assignee_id" = \d')


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "path", ["/contacts/supervisor/", "/contacts/tickets/blocked/", "/contacts/dashboard/"]
)
def test_platform_staff_read_every_organizations_queues_along_an_index(
    login, staff, ticket, other_ticket, path
):
    """Without ``ticket_open_queue_idx`` each of these pages counted and sorted every
    ticket of the platform (303, 211 and 131 ms at 1M tickets)."""
    plans = []
    with connection.cursor() as cursor:
        prefer_indexes(cursor)
        with CaptureQueriesContext(connection) as queries:
            assert login(staff).get(path).status_code == 200
        # A queue's list or the counts; "my tickets" has the assignee's own index.
        reads = [
            q["sql"]
            for q in queries
            if 'FROM "contacts_ticket"' in q["sql"] and not MINE.search(q["sql"])
        ]
        assert reads, [q["sql"] for q in queries]
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert all("ticket_open_queue_idx" in plan for plan in plans), plans
