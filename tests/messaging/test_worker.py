"""End to end with a real Celery worker: a batch goes out through the loopback gateway
and its receipts come back through the status service."""

from __future__ import annotations

import time

import pytest

from blocklists.models import Interception
from messaging import services
from messaging.models import Batch, Message, Trigger
from messaging.statuses import BatchStatus, MessageStatus


@pytest.mark.django_db(transaction=True)
def test_a_batch_goes_out_and_its_receipts_come_back(celery_worker_process, sender, org):
    numbers = ["+14155550123", "+14155550500", "+14155550530"]
    batch = services.create_batch(
        organization=org, sender=sender, subscribers=numbers, text="Hi", trigger=Trigger.API
    )
    final = {MessageStatus.DELIVERED, MessageStatus.SEND_FAILED}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        statuses = set(Message.objects.filter(batch=batch).values_list("status", flat=True))
        if statuses <= final:
            break
        time.sleep(0.3)
    result = dict(Message.objects.filter(batch=batch).values_list("subscriber", "failure_code"))
    statuses = dict(Message.objects.filter(batch=batch).values_list("subscriber", "status"))
    assert statuses == {
        "+14155550123": MessageStatus.DELIVERED,
        "+14155550500": MessageStatus.SEND_FAILED,
        "+14155550530": MessageStatus.SEND_FAILED,
    }
    assert result == {"+14155550123": None, "+14155550500": 500, "+14155550530": 530}
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.SENT
    assert list(Interception.objects.values_list("number", "code")) == [("+14155550500", 500)]


@pytest.mark.django_db(transaction=True)
def test_an_inbound_stop_is_in_effect_through_a_real_worker(celery_worker_process, api, sender):
    response = api.post(
        "/inbound",
        {
            "sender": "52811",
            "from": "+14155550123",
            "text": "STOP",
            "channel": "sms",
            "provider_message_id": "worker-stop-1",
        },
    )
    assert response.status_code == 202, response.content
    inbound_id = response.json()["id"]
    deadline = time.monotonic() + 90
    blocked = False
    while time.monotonic() < deadline:
        check = api.get("/suppressions/check", {"sender": "52811", "to": "+14155550123"})
        blocked = check.json()["blocked"]
        replied = Message.objects.filter(in_reply_to_id=inbound_id, status__in=final_states())
        if blocked and replied.exists():
            break
        time.sleep(0.3)
    assert blocked
    [reply] = Message.objects.filter(in_reply_to_id=inbound_id)
    assert reply.status == MessageStatus.DELIVERED, reply.status_log
    assert Message.objects.get(pk=inbound_id).keyword_outcome == "applied"


def final_states() -> set[str]:
    return {MessageStatus.DELIVERED, MessageStatus.SEND_FAILED, MessageStatus.PROCESS_FAILED}
