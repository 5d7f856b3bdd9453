"""The search pages load only the columns they show: a column left in the database
and read by the table or the export would be loaded row by row, one query each."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import Message
from messaging.services import create_batch


@pytest.mark.parametrize("url", ["/handoff/messages/", "/handoff/status/", "/messaging/"])
def test_the_page_and_its_export_cost_the_same_queries_for_more_rows(
    login, agent, admin_user, org, sender, url
):
    client = login(agent)

    def queries_for(params):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
            if params.get("_export"):
                assert b"".join(response.streaming_content).count(b"\n") >= 2
            else:
                assert ">+1415555010" in response.content.decode()
        return len(queries)

    def send(*numbers, **fields):
        batch = create_batch(
            organization=org,
            sender=sender,
            subscribers=list(numbers),
            text="Hello",
            template="welcome",
            created_by=admin_user,
        )
        Message.objects.filter(batch=batch).update(sent_at=timezone.now(), **fields)

    send("+14155550101")
    few = [queries_for({}), queries_for({"_export": "csv"})]
    send("+14155550102", "+14155550103", status="send_failed", failure_code=530)
    send("+14155550104", status="delivered", receipt_at=timezone.now())
    assert [queries_for({}), queries_for({"_export": "csv"})] == few
