"""A STOP counts from the webhook's 202: while no worker has processed it yet, the
suppression check says blocked and dispatch stops the number, with the worker's rules
(keywords, scope, the later keyword wins, other organizations untouched)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import SenderKind
from blocklists import keywords
from blocklists.models import BlocklistEntry, KeywordRule, OptOutScope
from messaging import inbound, selectors, services
from messaging.models import Message
from messaging.statuses import FailureCategory, MessageStatus
from tests.factories import SenderFactory

CUSTOMER = "+14155550123"
NEIGHBOUR = "+14155550124"


@pytest.fixture
def store(api, sender, django_capture_on_commit_callbacks):
    """``store(text, **fields)``: the webhook stores the text; no worker processes it
    (the task it queued stays queued, as behind a backlog or a broker that is down)."""
    counter = iter(range(1, 10_000))

    def post(text, **fields):
        payload = {
            "sender": "52811",
            "from": CUSTOMER,
            "text": text,
            "channel": "sms",
            "provider_message_id": f"pending-{next(counter)}",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=False):
            response = api.post("/inbound", payload)
        assert response.status_code == 202, response.content
        message = Message.objects.get(pk=response.json()["id"])
        assert message.processed_at is None
        return message

    return post


def check(api, to=CUSTOMER, sender="52811") -> dict:
    response = api.get("/suppressions/check", {"sender": sender, "to": to})
    assert response.status_code == 200, response.content
    return response.json()


def dispatch_to(make_batch, numbers, **kwargs) -> dict[str, tuple[str, str, str]]:
    batch = make_batch(numbers, **kwargs)
    services.dispatch_batch(batch_id=batch.pk)
    return {
        m.subscriber: (m.status, m.failure_category, m.status_log[-1]["detail"])
        for m in Message.objects.filter(batch=batch)
    }


def set_scope(org, scope, **more):
    current = keywords.settings_for(org)
    current.opt_out_scope = scope
    for name, value in more.items():
        setattr(current, name, value)
    current.save()


def test_a_stored_stop_blocks_at_once_and_says_it_is_being_applied(api, store, sender):
    message = store(" Stop! ")
    assert not BlocklistEntry.objects.exists()
    answer = check(api)
    assert answer["blocked"] is True
    [reason] = answer["reasons"]
    assert reason["type"] == "blocklist"
    assert (reason["source"], reason["pending"], reason["keyword"]) == ("opt_out", True, "STOP")
    since = dt.datetime.fromisoformat(reason["since"])  # JSON keeps milliseconds
    assert abs(since - message.requested_at) < dt.timedelta(milliseconds=1)

    many = api.post("/suppressions/check", {"sender": "52811", "to": [CUSTOMER, NEIGHBOUR]})
    assert many.status_code == 200
    assert list(many.json()["blocked"]) == [CUSTOMER]

    # The worker applies it: the entry answers from then on, without "pending".
    assert inbound.process_inbound(message_id=message.pk) is True
    [reason] = check(api)["reasons"]
    assert reason["source"] == "opt_out" and "pending" not in reason
    assert BlocklistEntry.objects.filter(sender=sender, subscriber=CUSTOMER).exists()


def test_dispatch_stops_a_number_whose_stop_is_not_processed_yet(store, make_batch):
    store("STOP")
    outcome = dispatch_to(make_batch, [CUSTOMER, NEIGHBOUR])
    status, category, detail = outcome[CUSTOMER]
    assert (status, category) == (MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE)
    assert detail.startswith("Opted out: STOP received ")
    assert "being added to the blocklist of 52811" in detail
    assert outcome[NEIGHBOUR][0] == MessageStatus.SENDING


@pytest.mark.parametrize(
    ("texts", "blocked"),
    [
        (["STOP", "START"], False),  # START after STOP lifts it
        (["START", "STOP"], True),
        (["STOP", "Where is my order?"], True),  # an ordinary text changes nothing
        (["HELP"], False),
        (["Where is my order?"], False),
        (["stopwatch"], False),
    ],
)
def test_the_later_stored_keyword_wins(api, store, make_batch, texts, blocked):
    base = timezone.now() - dt.timedelta(minutes=5)
    for i, text in enumerate(texts):
        store(text, received_at=(base + dt.timedelta(seconds=i)).isoformat())
    assert check(api)["blocked"] is blocked
    status = dispatch_to(make_batch, [CUSTOMER])[CUSTOMER][0]
    assert (status == MessageStatus.PROCESS_FAILED) is blocked


def test_a_stored_start_lifts_nothing_until_the_worker_has_applied_it(api, store):
    """Erring towards not sending: the entry of an applied STOP stays in force while the
    START that lifts it waits for a worker."""
    stop = store("STOP")
    inbound.process_inbound(message_id=stop.pk)
    start = store("START")
    assert check(api)["blocked"] is True
    inbound.process_inbound(message_id=start.pk)
    assert check(api)["blocked"] is False


def test_received_at_orders_them_not_the_order_they_arrived_in(api, store):
    base = timezone.now() - dt.timedelta(minutes=5)
    store("START", received_at=(base + dt.timedelta(seconds=30)).isoformat())
    store("STOP", received_at=base.isoformat())
    assert check(api)["blocked"] is False


def test_an_organizations_own_keyword_counts(api, store, org):
    KeywordRule.objects.create(organization=org, kind="opt_out", keyword="BASTA")
    store("basta!")
    assert check(api)["blocked"] is True


def test_a_possible_opt_out_counts_only_where_the_organization_opts_them_out(api, store, org):
    store("please stop texting me")
    assert check(api)["blocked"] is False  # it waits for a supervisor in the review queue
    set_scope(org, OptOutScope.SENDER, auto_opt_out_possible=True)
    assert check(api)["blocked"] is True


@pytest.mark.parametrize(
    ("scope", "same_kind", "other_kind"),
    [
        (OptOutScope.SENDER, False, False),
        (OptOutScope.KIND, True, False),
        (OptOutScope.ORGANIZATION, True, True),
    ],
)
def test_the_organizations_opt_out_scope_decides_which_senders(
    api, store, org, scope, same_kind, other_kind
):
    SenderFactory(organization=org, kind=SenderKind.SMS_SHORT_CODE, address="52812")
    SenderFactory(organization=org, kind=SenderKind.SMS_LONG_CODE, address="+14155554559")
    set_scope(org, scope)
    store("STOP")
    assert check(api)["blocked"] is True  # the sender it was sent to, always
    assert check(api, sender="52812")["blocked"] is same_kind
    assert check(api, sender="+14155554559")["blocked"] is other_kind


def test_another_organizations_stop_does_not_block_this_one(
    api, sender, other_sender, other_api_token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(
            "/inbound",
            {
                "sender": other_sender.address,
                "from": CUSTOMER,
                "text": "STOP",
                "channel": "sms",
                "provider_message_id": "other-1",
            },
            secret=other_api_token,
        )
    assert response.status_code == 202
    assert check(api)["blocked"] is False
    other = api.get(
        "/suppressions/check", {"sender": other_sender.address, "to": CUSTOMER}, other_api_token
    )
    assert other.json()["blocked"] is True


def test_the_keyword_confirmation_is_not_stopped_by_its_own_stop(api, store, sender):
    message = store("STOP")
    inbound.process_inbound(message_id=message.pk)  # queues and sends the confirmation
    [reply] = Message.objects.filter(in_reply_to=message)
    assert reply.failure_category != FailureCategory.UNSUBSCRIBE


def test_no_stored_text_costs_one_query(sender, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.pending_opt_outs_among(sender, [CUSTOMER, NEIGHBOUR]) == {}


def test_a_long_list_asks_once_whether_anything_is_pending_at_all(
    store, sender, django_assert_num_queries
):
    numbers = [f"+1415556{i:04d}" for i in range(1_500)]
    with django_assert_num_queries(1):
        assert selectors.pending_opt_outs_among(sender, numbers) == {}
    store("STOP")
    found = selectors.pending_opt_outs_among(sender, [*numbers, CUSTOMER])
    assert list(found) == [CUSTOMER]


def test_an_email_sender_asks_nothing(org, django_assert_num_queries):
    mail = SenderFactory(organization=org, kind=SenderKind.EMAIL, address="news@acme.example")
    with django_assert_num_queries(0):
        assert selectors.pending_opt_outs_among(mail, ["someone@example.com"]) == {}


@pytest.mark.postgresql
@pytest.mark.parametrize("numbers", [1, 3_000])
def test_the_lookup_reads_an_index_not_every_message(store, sender, numbers):
    """A check's few numbers along the number index, a long list along the partial index
    of pending rows; never a scan of the messages (10M at the scale data)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    Message.objects.bulk_create(
        Message(
            organization_id=sender.organization_id,
            sender=sender,
            direction="inbound",
            channel=sender.kind,
            subscriber=f"+1415556{i % 2_000:04d}",
            text="Thanks",
            status=MessageStatus.RECEIVED,
            requested_at=now,
            updated_at=now,
            processed_at=now,
        )
        for i in range(10_000)
    )
    store("STOP")
    wanted = [CUSTOMER, *(f"+1415557{i:04d}" for i in range(numbers - 1))]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")
        with CaptureQueriesContext(connection) as queries:
            assert CUSTOMER in selectors.pending_opt_outs_among(sender, wanted)
        sql = next(q["sql"] for q in queries if "processed_at IS NULL AND subscriber" in q["sql"])
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan" not in plan, plan
    assert "message_subscriber_org_idx" in plan or "message_inbound_pending_idx" in plan, plan


# The last look before the gateway ------------------------------------------------------


def _dispatched_not_sent(make_batch, numbers, django_capture_on_commit_callbacks):
    """A batch through the guards whose gateway hand-over (queued on commit) waits."""
    batch = make_batch(numbers)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.dispatch_batch(batch_id=batch.pk)
    assert set(Message.objects.filter(batch=batch).values_list("status", flat=True)) == {
        MessageStatus.SENDING
    }
    return batch, queued


def _sent(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()


def _outcome(batch):
    return {
        m.subscriber: (m.status, m.failure_category, m.status_log[-1]["detail"], m.sent_at)
        for m in Message.objects.filter(batch=batch)
    }


def test_a_stop_stored_after_the_checks_holds_the_message_back(
    store, make_batch, django_capture_on_commit_callbacks
):
    batch, queued = _dispatched_not_sent(
        make_batch, [CUSTOMER, NEIGHBOUR], django_capture_on_commit_callbacks
    )
    store("STOP")  # while the batch waits for its turn at the gateway
    _sent(queued, django_capture_on_commit_callbacks)
    outcome = _outcome(batch)
    status, category, detail, sent_at = outcome[CUSTOMER]
    assert (status, category, sent_at) == (
        MessageStatus.PROCESS_FAILED,
        FailureCategory.UNSUBSCRIBE,
        None,
    )
    assert detail.startswith("Opted out after the checks: STOP received ")
    assert detail.endswith("not handed to the channel.")
    assert outcome[NEIGHBOUR][0] in {MessageStatus.SENT, MessageStatus.DELIVERED}
    assert not Message.objects.get(batch=batch, subscriber=CUSTOMER).provider_message_id


def test_an_entry_added_after_the_checks_holds_the_message_back(
    sender, make_batch, django_capture_on_commit_callbacks
):
    from blocklists.services import add_entry

    batch, queued = _dispatched_not_sent(make_batch, [CUSTOMER], django_capture_on_commit_callbacks)
    add_entry(sender=sender, subscriber=CUSTOMER, reason="support_request")
    _sent(queued, django_capture_on_commit_callbacks)
    status, category, detail, _ = _outcome(batch)[CUSTOMER]
    assert (status, category) == (MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE)
    assert detail == "Added to the blocklist of 52811 after the checks: not handed to the channel."
    batch.refresh_from_db()
    assert batch.status != "sending"  # its last message left sending: the batch says so


def test_the_last_look_costs_a_few_queries_per_chunk(
    sender, make_batch, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from messaging.guards import opted_out_since_checked

    batch, _queued = _dispatched_not_sent(
        make_batch, [f"+1415556{i:04d}" for i in range(1_000)], django_capture_on_commit_callbacks
    )
    messages = list(Message.objects.filter(batch=batch).select_related("sender__organization"))
    # the batches' triggers, the blocklist, the stored opt-outs
    with django_assert_max_num_queries(3):
        assert opted_out_since_checked(messages) == {}
