"""The HTTP API: messages, receipts, the suppression check; auth, validation, isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from accounts.tokens import revoke_token
from blocklists.interceptions import intercept_from_failure
from blocklists.services import opt_out
from messaging import services
from messaging.models import Batch, Message
from messaging.statuses import MessageStatus
from messaging.tasks import send_messages

FREE = "+14155550101"


def test_send_creates_a_batch_and_queues_it(api, org, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            "/messages",
            {"sender": "52811", "to": ["(415) 555-0101", "+1 415 555 0102"], "text": "Hi"},
        )
    assert response.status_code == 201, response.content
    body = response.json()
    batch = Batch.objects.get(public_id=body["batch_id"])
    assert body["messages"] == 2
    assert (batch.organization, batch.trigger, batch.message_count) == (org, "api", 2)
    assert sorted(Message.objects.filter(batch=batch).values_list("subscriber", flat=True)) == [
        "+14155550101",
        "+14155550102",
    ]
    assert len(callbacks) == 1  # the dispatch, once committed


def test_send_later_is_programmed(api, sender):
    send_at = (timezone.now() + dt.timedelta(hours=3)).isoformat()
    response = api.post(
        "/messages", {"sender": "52811", "to": FREE, "text": "Hi", "send_at": send_at}
    )
    assert response.status_code == 201
    assert Batch.objects.get().status == "programmed"


def test_bad_input_is_400_with_errors_by_field_and_stores_nothing(api, sender):
    cases = [
        ({"sender": "52811", "to": ["+14155550101", "not a number"], "text": "Hi"}, "to"),
        ({"sender": "52811", "to": [], "text": "Hi"}, "to"),
        ({"sender": "52811", "to": FREE, "text": "  "}, "text"),
        ({"sender": "52811", "to": FREE, "text": "Hi", "priority": "urgent"}, "priority"),
        ({"sender": "52811", "to": FREE, "text": "Hi", "send_at": "tomorrow"}, "send_at"),
        ({"sender": "52811", "to": FREE, "text": "Hi", "subaccount": "nope"}, "subaccount"),
        ({"to": FREE, "text": "Hi"}, "sender"),
    ]
    for payload, field in cases:
        response = api.post("/messages", payload)
        assert response.status_code == 400, (payload, response.content)
        assert field in response.json()["errors"], (payload, response.json())
    assert not Batch.objects.exists()
    assert not Message.objects.exists()


def test_missing_bad_and_revoked_tokens_are_401(api, client, org, sender, api_token):
    assert client.post("/api/v1/messages", {}, content_type="application/json").status_code == 401
    assert api.post("/messages", {}, secret="hnd_wrong_secret").status_code == 401
    token = ApiToken.objects.get(organization=org)
    assert revoke_token(organization=org, token_id=token.pk)
    response = api.post("/messages", {"sender": "52811", "to": FREE, "text": "Hi"})
    assert response.status_code == 401
    assert api.get("/suppressions/check", {"sender": "52811", "to": FREE}).status_code == 401
    assert not Batch.objects.exists()


def test_another_organizations_sender_is_404(api, sender, other_sender):
    response = api.post("/messages", {"sender": other_sender.address, "to": FREE, "text": "Hi"})
    assert response.status_code == 404
    check = api.get("/suppressions/check", {"sender": other_sender.address, "to": FREE})
    assert check.status_code == 404
    assert not Batch.objects.exists()


def _sent(make_batch, provider_id="prov-1"):
    batch = make_batch([FREE])
    services.dispatch_batch(batch_id=batch.pk)
    message = Message.objects.get(batch=batch)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, provider_message_id=provider_id
    )
    return message


def test_status_receipts_delivered_failed_and_repeats(api, make_batch):
    message = _sent(make_batch)
    response = api.post("/status", {"provider_message_id": "prov-1", "status": "delivered"})
    assert (response.status_code, response.json()["status"]) == (202, "delivered")
    again = api.post(
        "/status", {"provider_message_id": "prov-1", "status": "failed", "error_code": 500}
    )
    assert (again.status_code, again.json()["status"]) == (202, "delivered")
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_a_failed_receipt_intercepts_the_number(api, make_batch, org):
    _sent(make_batch)
    at = "2026-11-20T10:00:00+00:00"
    response = api.post(
        "/status",
        {"provider_message_id": "prov-1", "status": "failed", "error_code": 520, "at": at},
    )
    assert response.status_code == 202
    message = Message.objects.get()
    assert (message.status, message.failure_code) == (MessageStatus.SEND_FAILED, 520)
    assert message.receipt_at.isoformat() == at
    from blocklists.models import Interception

    interception = Interception.objects.get(number=FREE)
    assert (interception.scope, interception.organization) == ("local", org)


def test_status_errors(api, make_batch, other_api_token):
    _sent(make_batch)
    assert (
        api.post("/status", {"provider_message_id": "nope", "status": "delivered"}).status_code
        == 404
    )
    bad = api.post(
        "/status", {"provider_message_id": "prov-1", "status": "failed", "error_code": 501}
    )
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["error_code"])
    assert (
        api.post("/status", {"provider_message_id": "prov-1", "status": "lost"}).status_code == 400
    )
    # Another organization's token cannot touch our message.
    other = api.post(
        "/status", {"provider_message_id": "prov-1", "status": "delivered"}, secret=other_api_token
    )
    assert other.status_code == 404
    assert Message.objects.get().status == MessageStatus.SENT


def test_suppression_check_single(api, sender, org):
    opt_out(sender=sender, subscriber=FREE)
    intercept_from_failure(number=FREE, code=500, organization=org)
    response = api.get("/suppressions/check", {"sender": "52811", "to": "415 555 0101"})
    assert response.status_code == 200
    body = response.json()
    assert body["blocked"] is True
    assert [r["type"] for r in body["reasons"]] == ["blocklist", "interception"]
    assert body["reasons"][0]["source"] == "opt_out"
    assert (body["reasons"][1]["code"], body["reasons"][1]["scope"]) == (500, "global")
    free = api.get("/suppressions/check", {"sender": "52811", "to": "+14155550199"}).json()
    assert free == {"to": "+14155550199", "blocked": False, "reasons": []}
    assert api.get("/suppressions/check", {"sender": "52811", "to": "abc"}).status_code == 400


def test_suppression_check_many(api, sender, org, django_assert_max_num_queries):
    opt_out(sender=sender, subscriber=FREE)
    numbers = [f"+1415556{i:04d}" for i in range(10_000)]
    numbers += [f"+1415557{i:04d}" for i in range(10_000)] + [FREE]
    # token, last use, sender, then blocklist, interceptions and stored opt-outs once
    # per 10,000 (3 chunks).
    with django_assert_max_num_queries(12):
        response = api.post("/suppressions/check", {"sender": "52811", "to": numbers})
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["checked"] == len(numbers)
    assert list(body["blocked"]) == [FREE]
    too_many = api.post("/suppressions/check", {"sender": "52811", "to": ["1"] * 100_001})
    assert too_many.status_code == 400


def test_openapi_and_docs_are_published(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert {"/api/v1/messages", "/api/v1/status", "/api/v1/suppressions/check"} <= set(
        schema.json()["paths"]
    )
    assert client.get("/api/v1/docs").status_code == 200


def test_send_task_is_importable_for_the_worker():
    assert send_messages.name == "messaging.tasks.send_messages"


@pytest.mark.parametrize("where", ["token", "store"])
def test_database_unreachable_is_503_with_retry_after(api, sender, database_down, where):
    database_down(where)
    response = api.post(
        "/inbound",
        {
            "sender": "52811",
            "from": "+14155550123",
            "text": "Hi",
            "channel": "sms",
            "provider_message_id": "db-down-1",
        },
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "retry" in response.json()["detail"]
