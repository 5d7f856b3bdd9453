"""Inbound messages through the webhook: storage, duplicates, keywords and their one reply,
tickets, the review queue, email feedback, idempotent processing, the SMS Replies selector."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.access import Actor
from accounts.models import SenderKind
from blocklists.models import BlocklistEntry, KeywordEvent, PossibleOptOut, Source
from contacts.models import Ticket
from messaging import inbound, selectors, services
from messaging.models import Batch, Direction, Message, Trigger
from messaging.statuses import FailureCategory, MessageStatus
from messaging.tasks import process_inbound, requeue_unprocessed_inbound
from tests.factories import SenderFactory

CUSTOMER = "+14155550123"


@pytest.fixture
def post_inbound(api, django_capture_on_commit_callbacks):
    """``post_inbound(text, **fields)``: the webhook, with everything it queues run."""
    counter = iter(range(1, 10_000))

    def post(text, *, execute=True, secret=None, **fields):
        payload = {
            "sender": "52811",
            "from": CUSTOMER,
            "text": text,
            "channel": "sms",
            "provider_message_id": f"prov-{next(counter)}",
            **fields,
        }
        with django_capture_on_commit_callbacks(execute=execute):
            return api.post("/inbound", payload, secret=secret)

    return post


def check(api, to=CUSTOMER, sender="52811") -> bool:
    response = api.get("/suppressions/check", {"sender": sender, "to": to})
    assert response.status_code == 200, response.content
    return response.json()["blocked"]


def inbound_message(response) -> Message:
    return Message.objects.get(pk=response.json()["id"])


def replies_to(message: Message) -> list[Message]:
    return list(Message.objects.filter(in_reply_to=message))


# Receiving ----------------------------------------------------------------------------------


def test_inbound_is_stored_as_received_and_queued(post_inbound, sender):
    response = post_inbound("Hello there", execute=False, **{"from": "(415) 555-0123"})
    assert response.status_code == 202, response.content
    assert response.json()["duplicate"] is False
    message = inbound_message(response)
    assert (message.direction, message.status, message.subscriber) == (
        Direction.INBOUND,
        MessageStatus.RECEIVED,
        CUSTOMER,
    )
    assert (message.channel, message.sender, message.processed_at) == (
        SenderKind.SMS_SHORT_CODE,
        sender,
        None,
    )
    assert [entry["status"] for entry in message.status_log] == ["received"]


def test_received_at_is_kept(post_inbound, sender):
    response = post_inbound("Hi", execute=False, received_at="2026-03-01T10:00:00+01:00")
    assert inbound_message(response).requested_at == dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)


def test_duplicate_is_200_and_processed_once(api, post_inbound, sender):
    first = post_inbound("STOP", provider_message_id="abc")
    again = post_inbound("STOP", provider_message_id="abc")
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1
    assert KeywordEvent.objects.count() == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1


def test_the_same_provider_id_on_another_sender_is_another_message(post_inbound, org, sender):
    SenderFactory(organization=org, address="52812")
    post_inbound("Hi", execute=False, provider_message_id="abc")
    response = post_inbound("Hi", execute=False, provider_message_id="abc", sender="52812")
    assert response.status_code == 202


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"from": "not a number"}, "from"),
        ({"channel": "fax"}, "channel"),
        ({"channel": "whatsapp"}, "channel"),
        ({"provider_message_id": ""}, "provider_message_id"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "2026-03-01T10:00:00"}, "received_at"),
        ({"text": None}, "text"),
    ],
)
def test_bad_input_is_400_and_stores_nothing(post_inbound, sender, changes, field):
    fields = {k: v for k, v in changes.items() if k != "text"}
    response = post_inbound(changes.get("text", "Hi"), execute=False, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Message.objects.exists()


def test_missing_fields_are_400(api, sender):
    response = api.post("/inbound", {"sender": "52811"})
    assert response.status_code == 400
    assert {"from", "text", "channel", "provider_message_id"} <= set(response.json()["errors"])


def test_auth_and_isolation(client, post_inbound, sender, other_sender, other_api_token):
    response = client.post("/api/v1/inbound", {"text": "Hi"}, content_type="application/json")
    assert response.status_code == 401
    wrong = client.post(
        "/api/v1/inbound",
        {"text": "Hi"},
        content_type="application/json",
        headers={"Authorization": "Bearer hnd_nope"},
    )
    assert wrong.status_code == 401
    # The other organization's sender, with our token: 404, like a missing one.
    assert post_inbound("Hi", execute=False, sender="52999").status_code == 404
    # Our sender with the other organization's token: 404 as well.
    assert post_inbound("Hi", execute=False, secret=other_api_token).status_code == 404
    assert not Message.objects.exists()


def test_wrong_method_is_405(api, sender):
    assert api.get("/inbound", {}).status_code == 405


# Keywords -----------------------------------------------------------------------------------


def test_stop_blocks_and_sends_one_confirmation_that_is_not_blocked(api, post_inbound, sender):
    response = post_inbound(" Stop! ")
    message = inbound_message(response)
    assert check(api) is True
    entry = BlocklistEntry.objects.get(sender=sender, subscriber=CUSTOMER)
    assert entry.source == Source.OPT_OUT
    assert (message.keyword_kind, message.keyword, message.keyword_outcome) == (
        "opt_out",
        "STOP",
        "applied",
    )
    assert message.processed_at is not None
    assert message.ticket is None  # a keyword is not a conversation
    [reply] = replies_to(message)
    assert reply.direction == Direction.OUTBOUND
    assert reply.subscriber == CUSTOMER and reply.sender == sender
    assert reply.status in {MessageStatus.SENT, MessageStatus.DELIVERED}, reply.status_log
    assert reply.failure_category != FailureCategory.UNSUBSCRIBE
    assert "unsubscribed" in reply.text
    assert reply.batch.trigger == Trigger.KEYWORD
    # In Message Lookup's query, like any other message of the organization.
    assert reply in selectors.messages_for(Actor.for_token(_token(api)))
    assert KeywordEvent.objects.get().inbound_ref == f"message:{message.pk}"


def _token(api):
    from accounts.tokens import authenticate

    return authenticate(api.headers["Authorization"].removeprefix("Bearer "))


def test_a_normal_send_is_still_blocked_after_stop(api, post_inbound, sender, make_batch):
    post_inbound("STOP")
    with_callbacks = make_batch([CUSTOMER])
    services.dispatch_batch(batch_id=with_callbacks.pk)
    message = Message.objects.get(batch=with_callbacks)
    assert (message.status, message.failure_category) == (
        MessageStatus.PROCESS_FAILED,
        FailureCategory.UNSUBSCRIBE,
    )


def test_start_lifts_the_opt_out_and_confirms(api, post_inbound, sender):
    post_inbound("STOP")
    response = post_inbound("start")
    assert check(api) is False
    message = inbound_message(response)
    assert (message.keyword_kind, message.keyword_outcome) == ("opt_in", "applied")
    assert len(replies_to(message)) == 1
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 2


def test_help_replies_with_the_help_text(api, post_inbound, sender):
    message = inbound_message(post_inbound("HELP"))
    [reply] = replies_to(message)
    assert "reply STOP to unsubscribe" in reply.text
    assert check(api) is False
    assert message.keyword_kind == "help"


def test_out_of_order_stop_and_start_the_later_wins(api, post_inbound, sender):
    base = timezone.now() - dt.timedelta(minutes=5)
    start = post_inbound("START", received_at=(base + dt.timedelta(seconds=30)).isoformat())
    stop = post_inbound("STOP", received_at=base.isoformat())
    assert check(api) is False  # the START was sent after the STOP
    stop_message = inbound_message(stop)
    assert stop_message.keyword_outcome == "superseded"
    assert replies_to(stop_message) == []  # no confirmation for an ignored keyword
    assert len(replies_to(inbound_message(start))) == 1

    later = post_inbound("STOP", received_at=(base + dt.timedelta(minutes=1)).isoformat())
    assert inbound_message(later).keyword_outcome == "applied"
    assert check(api) is True


def test_non_keyword_is_routed_to_a_ticket(post_inbound, org, sender):
    message = inbound_message(post_inbound("Where is my order?"))
    ticket = Ticket.objects.get()
    assert message.ticket == ticket
    assert (ticket.organization, ticket.sender) == (org, sender)
    assert ticket.contact.phone == CUSTOMER
    assert message.keyword_kind == "none"
    assert replies_to(message) == []
    assert "Routed to ticket" in message.status_log[-1]["detail"]


def test_possible_opt_out_goes_to_the_review_queue_and_a_ticket(api, post_inbound, sender):
    message = inbound_message(post_inbound("please stop texting me"))
    item = PossibleOptOut.objects.get()
    assert (item.sender, item.subscriber, item.status) == (sender, CUSTOMER, "pending")
    assert message.keyword_kind == "possible_opt_out"
    assert message.ticket is not None
    assert check(api) is False  # until a supervisor decides
    assert replies_to(message) == []


def test_whatsapp_inbound(api, post_inbound, org):
    SenderFactory(organization=org, kind=SenderKind.WHATSAPP, address="+14155550999")
    response = post_inbound("STOP", sender="+14155550999", channel="whatsapp")
    assert response.status_code == 202, response.content
    assert check(api, sender="+14155550999") is True


# Idempotent processing ----------------------------------------------------------------------


def test_processing_twice_sends_one_reply(
    api, post_inbound, sender, django_capture_on_commit_callbacks
):
    message = inbound_message(post_inbound("STOP", execute=False))
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound.delay(message.pk)
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound.delay(message.pk)  # a redelivered task
    assert inbound.process_inbound(message_id=message.pk) is False
    assert len(replies_to(message)) == 1
    assert KeywordEvent.objects.count() == 1
    assert Batch.objects.filter(trigger=Trigger.KEYWORD).count() == 1


def test_beat_requeues_what_no_worker_processed(
    api, post_inbound, sender, django_capture_on_commit_callbacks
):
    message = inbound_message(post_inbound("STOP", execute=False))  # its task never ran
    Message.objects.filter(pk=message.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        requeue_unprocessed_inbound.delay()
    assert check(api) is True
    assert len(replies_to(message)) == 1
    assert inbound.unprocessed_inbound_ids() == []


# Email feedback -----------------------------------------------------------------------------


@pytest.fixture
def mail_sender(org):
    return SenderFactory(organization=org, kind=SenderKind.EMAIL, address="news@acme.test")


def email_event(api, **fields):
    return api.post("/email-events", {"sender": "news@acme.test", **fields})


def test_hard_bounce_blocklists(api, mail_sender):
    response = email_event(api, address="Ann@Example.com", event="bounce", bounce_type="hard")
    assert response.status_code == 202, response.content
    assert response.json() == {"address": "ann@example.com", "blocked": True}
    entry = BlocklistEntry.objects.get(sender=mail_sender)
    assert (entry.subscriber, entry.source) == ("ann@example.com", Source.EMAIL_SERVER)


def test_complaint_blocklists(api, mail_sender):
    assert email_event(api, address="bo@example.com", event="complaint").json()["blocked"]
    assert check(api, to="bo@example.com", sender="news@acme.test") is True


def test_three_soft_bounces_blocklist(api, mail_sender):
    answers = [
        email_event(api, address="cy@example.com", event="bounce", bounce_type="soft").json()
        for _ in range(3)
    ]
    assert [a["blocked"] for a in answers] == [False, False, True]


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"address": "nope", "event": "complaint"}, "address"),
        ({"address": "a@b.co", "event": "open"}, "event"),
        ({"address": "a@b.co", "event": "bounce"}, "bounce_type"),
        ({"address": "a@b.co", "event": "bounce", "bounce_type": "medium"}, "bounce_type"),
        ({"address": "a@b.co", "event": "complaint", "at": "2026-01-01T09:00"}, "at"),
        ({"address": "a@b.co", "event": "complaint", "sender": "52811"}, "sender"),
    ],
)
def test_email_event_bad_input(api, mail_sender, sender, fields, field):
    response = email_event(api, **fields)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not BlocklistEntry.objects.exists()


def test_email_event_other_org_sender_is_404(api, other_org):
    SenderFactory(organization=other_org, kind=SenderKind.EMAIL, address="hi@other.test")
    response = api.post(
        "/email-events", {"sender": "hi@other.test", "address": "a@b.co", "event": "complaint"}
    )
    assert response.status_code == 404


# SMS Replies --------------------------------------------------------------------------------


def test_replies_carry_the_template_of_the_last_message_we_sent(
    post_inbound, org, sender, make_batch, agent, other_agent, django_assert_num_queries
):
    for template in ("welcome", "promo"):
        batch = make_batch([CUSTOMER], template=template)
        services.dispatch_batch(batch_id=batch.pk)
        services.send_messages(message_ids=list(batch.messages.values_list("pk", flat=True)))
    post_inbound("Thanks!", execute=False)
    post_inbound("Who is this?", execute=False, **{"from": "+14155550124"})
    actor = Actor.for_user(agent)
    with django_assert_num_queries(1):
        rows = list(selectors.replies_for(actor))
    assert [(r.text, r.last_template) for r in rows] == [
        ("Who is this?", None),
        ("Thanks!", "promo"),
    ]
    assert list(selectors.replies_for(Actor.for_user(other_agent))) == []


def test_a_broker_down_at_commit_still_answers_202_and_beat_processes_it(
    api, post_inbound, sender, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(process_inbound, "apply_async", down)
        response = post_inbound("STOP")
    assert response.status_code == 202, response.content
    message = inbound_message(response)
    assert message.processed_at is None
    assert check(api) is True  # in effect already, while the broker is down
    assert not BlocklistEntry.objects.exists()
    Message.objects.filter(pk=message.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        requeue_unprocessed_inbound.delay()
    assert check(api) is True
    assert BlocklistEntry.objects.filter(sender=sender, subscriber=CUSTOMER).exists()
    assert len(replies_to(message)) == 1


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("STOP", True),
        (" stop!! ", True),
        ("Arrêt", True),
        ("START", True),
        ("please stop texting me", True),
        ("unsubscribe me", True),
        ("HELP", False),
        ("ok", False),
        ("Question 12", False),
        ("thanks, see you", False),
        ("Is the store open until the end?", False),
    ],
)
def test_opt_outs_and_opt_ins_get_ahead_of_the_queue_ordinary_texts_do_not(text, urgent):
    """A backlog of ordinary texts, short ones included, must not hold up a STOP."""
    assert inbound.likely_keyword(text) is urgent


@pytest.mark.django_db(transaction=True)
def test_webhook_in_autocommit_stores_once_and_queues_once(api, sender, monkeypatch):
    """The webhook runs outside any transaction: one INSERT committed by itself, its
    processing queued at once, and a duplicate still answered 200 with nothing queued."""
    from django.db import connection

    from messaging import tasks

    queued = []
    monkeypatch.setattr(
        tasks.process_inbound, "apply_async", lambda args, **options: queued.append(args[0])
    )
    payload = {"sender": "52811", "from": CUSTOMER, "text": "STOP", "channel": "sms"}
    first = api.post("/inbound", {**payload, "provider_message_id": "auto-1"})
    assert not connection.in_atomic_block
    again = api.post("/inbound", {**payload, "provider_message_id": "auto-1"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    assert queued == [first.json()["id"]]
    assert Message.objects.filter(direction=Direction.INBOUND).count() == 1


def test_the_compiled_insert_writes_what_save_writes(sender):
    """``inbound._insert`` reuses the statement Django compiles for ``save``: same row."""
    from django.forms.models import model_to_dict
    from django.utils import timezone

    from messaging.services import log_entry

    def message(provider_message_id):
        at = timezone.now()
        return Message(
            organization_id=sender.organization_id,
            sender=sender,
            direction=Direction.INBOUND,
            channel=sender.kind,
            subscriber=CUSTOMER,
            text="Hello ☃ 'quoted'",
            status=MessageStatus.RECEIVED,
            provider_message_id=provider_message_id,
            requested_at=at,
            updated_at=at,
            status_log=[log_entry(MessageStatus.RECEIVED, "Received from the channel.", at)],
        )

    saved, inserted = message("by-save"), message("by-insert")
    inserted.requested_at = inserted.updated_at = saved.requested_at
    inserted.status_log = saved.status_log
    saved.save(force_insert=True)
    inbound._insert(inserted)
    inbound._insert(again := message("by-insert-2"))  # the cached statement
    assert inserted.pk and again.pk > inserted.pk > saved.pk
    assert not inserted._state.adding

    def row(pk):
        return {k: v for k, v in model_to_dict(Message.objects.get(pk=pk)).items() if k != "id"}

    by_save, by_insert = row(saved.pk), row(inserted.pk)
    assert by_insert.pop("provider_message_id") == "by-insert"
    assert by_save.pop("provider_message_id") == "by-save"
    assert by_insert == by_save


def test_processing_an_outbound_id_claims_nothing(sender, make_batch):
    batch = make_batch([CUSTOMER])
    outbound = Message.objects.get(batch=batch)
    before = (outbound.updated_at, outbound.status_log)
    assert inbound.process_inbound(message_id=outbound.pk) is False
    outbound.refresh_from_db()
    assert outbound.processed_at is None
    assert (outbound.updated_at, outbound.status_log) == before
    assert inbound.process_inbound(message_id=10**9) is False  # unknown


def test_the_claim_leaves_the_pending_index_out_of_the_plan(post_inbound, sender):
    """The claim's WHERE must not imply message_inbound_pending_idx's predicate, or a
    planner with stale statistics scans every pending message for one id."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    message = inbound_message(post_inbound("Hello", execute=False))
    with CaptureQueriesContext(connection) as queries:
        assert inbound.process_inbound(message_id=message.pk) is True
    claim = next(q["sql"] for q in queries if q["sql"].startswith('UPDATE "messaging_message"'))
    assert '"processed_at" IS NULL' in claim
    assert '"direction"' not in claim.split("WHERE", 1)[1]
