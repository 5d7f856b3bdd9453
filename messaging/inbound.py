"""Inbound messages: receive (the webhook), process (the worker), and the keyword reply.

The request only stores the ``received`` message and queues its processing on
commit, so it answers fast and a 202 always means a stored message. The
worker claims the message with a conditional UPDATE of ``processed_at`` (by
primary key, see ``process_inbound``) in the same transaction as everything it
does (keyword, reply, ticket): a task delivered twice, or a worker killed half
way, processes the message exactly once. Beat re-queues messages no worker
processed (``requeue_unprocessed``), which covers a broker that was down when
the request committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.sql import InsertQuery
from django.utils import timezone

from accounts.models import Sender, SenderKind
from blocklists.keyword_rules import DEFAULT_KEYWORDS, normalize_text, possible_opt_out_rule
from blocklists.keywords import handle_inbound_text
from contacts.services import route_inbound
from messaging.models import Direction, InboundKind, Message, Trigger
from messaging.publishing import queue_task
from messaging.selectors import sent_before
from messaging.services import create_batch, log_entry
from messaging.statuses import MessageStatus

# The channel a provider names, and the sender kinds that can receive on it.
CHANNEL_KINDS: dict[str, set[str]] = {
    "sms": {SenderKind.SMS_SHORT_CODE, SenderKind.SMS_LONG_CODE},
    "whatsapp": {SenderKind.WHATSAPP},
    "rcs": {SenderKind.RCS},
}
# The contacts app names channels by family, not by sender kind.
CONTACT_CHANNELS = {
    SenderKind.SMS_SHORT_CODE: "sms",
    SenderKind.SMS_LONG_CODE: "sms",
    SenderKind.WHATSAPP: "whatsapp",
    SenderKind.RCS: "rcs",
}
KEYWORD_KINDS = {InboundKind.OPT_OUT, InboundKind.OPT_IN, InboundKind.HELP}
# Beat leaves a message this long to its queued task before it queues it again.
REQUEUE_AFTER = dt.timedelta(seconds=60)
REQUEUE_WINDOW = dt.timedelta(days=2)
# Celery priorities on Redis: 0 is served first. Tasks queued without one (the
# keyword reply's dispatch and send, everything else) get 3, between the two
# (CELERY_TASK_DEFAULT_PRIORITY).
KEYWORD_PRIORITY = 0
MESSAGE_PRIORITY = 6


@dataclass(frozen=True)
class Received:
    message: Message
    duplicate: bool


def receive_inbound(
    *,
    sender: Sender,
    subscriber: str,
    text: str,
    provider_message_id: str,
    received_at: dt.datetime | None = None,
) -> Received:
    """Store one inbound message as ``received`` and queue its processing on commit.

    ``subscriber`` is already normalised. The same ``provider_message_id`` on
    the same sender again returns the stored message with ``duplicate=True``
    and queues nothing (the unique constraint decides under concurrency). Two
    queries for a new message: the INSERT and the savepoint around it.
    """
    now = timezone.now()
    at = received_at or now
    message = Message(
        organization_id=sender.organization_id,
        subaccount_id=sender.subaccount_id,
        sender=sender,
        direction=Direction.INBOUND,
        channel=sender.kind,
        subscriber=subscriber,
        text=text,
        status=MessageStatus.RECEIVED,
        provider_message_id=provider_message_id,
        requested_at=at,
        updated_at=now,
        status_log=[log_entry(MessageStatus.RECEIVED, "Received from the channel.", at)],
    )
    try:
        if transaction.get_connection().in_atomic_block:
            # Inside a caller's transaction: a savepoint, so a duplicate leaves it usable.
            with transaction.atomic():
                _insert(message)
                _queue_processing(message.pk, text)
        else:
            # The webhook's case: one INSERT, committed by itself (no BEGIN and COMMIT
            # round trips); the processing is queued right after it (on_commit runs at once).
            _insert(message)
            _queue_processing(message.pk, text)
    except IntegrityError:
        existing = Message.objects.filter(
            sender=sender, provider_message_id=provider_message_id
        ).first()
        if existing is None:  # not the duplicate constraint: a real error
            raise
        return Received(existing, True)
    return Received(message, False)


# The INSERT of one message, as Django compiles it for ``save(force_insert=True)``, per
# database alias: the statement is the same for every message.
_insert_statements: dict[str, tuple[str, list]] = {}


def _insert(message: Message) -> None:
    """``message.save(force_insert=True)`` with the statement compiled once per process.

    Composing the 29-column INSERT cost the webhook 0.2 ms of CPU per message
    (``SQLInsertCompiler.as_sql``); the values still go through every field's
    ``pre_save`` and ``get_db_prep_save`` as in ``save``, and Message has no
    save signals to send. Raises ``IntegrityError`` as ``save`` does.
    """
    connection = transaction.get_connection()
    statement = _insert_statements.get(connection.alias)
    if statement is None:
        statement = _insert_statements[connection.alias] = _compile_insert(connection, message)
    sql, fields = statement
    params = [field.get_db_prep_save(field.pre_save(message, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        message.pk = cursor.fetchone()[0]
    message._state.adding = False
    message._state.db = connection.alias


def _compile_insert(connection, message: Message) -> tuple[str, list]:
    meta = Message._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.pk]
    query = InsertQuery(Message)
    query.insert_values(fields, [message])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, _params)] = compiler.as_sql()
    return sql, fields


# The default opt-out and opt-in keywords, normalised: what gets ahead of the queue.
URGENT_KEYWORDS = frozenset(
    normalize_text(keyword) for kind, keyword, _language in DEFAULT_KEYWORDS if kind != "help"
)


def likely_keyword(text: str) -> bool:
    """An opt-out or opt-in by its default keywords, or an opt-out in other words.

    Decides only the queue priority, never the outcome: the worker classifies
    with the organization's rules (a keyword an organization added itself is
    still applied, in turn). No query, so the request stays fast. Ordinary short
    texts ("ok", "Question 12") are not urgent: were they, a backlog of them
    would hold up the STOPs again.
    """
    normalized = normalize_text(text[:200])
    if normalized in URGENT_KEYWORDS:
        return True
    return possible_opt_out_rule(normalized) is not None


def _queue_processing(message_id: int, text: str) -> None:
    from messaging import tasks

    # A STOP must be in effect within a second even behind a backlog of ordinary
    # messages: on Redis, priority 0 is served before the others (kombu's
    # priority steps); a broker without priorities serves them in order.
    priority = KEYWORD_PRIORITY if likely_keyword(text) else MESSAGE_PRIORITY
    # robust: with the broker unreachable the message is stored all the same and the
    # request still answers 202; beat's requeue_unprocessed_inbound queues it later.
    # queue_task, not apply_async: the same message for a third of the CPU (see there).
    transaction.on_commit(
        lambda: queue_task(tasks.process_inbound, (message_id,), priority=priority), robust=True
    )


def process_inbound(*, message_id: int) -> bool:
    """Apply one inbound message; False when it was processed already (or is unknown).

    In one transaction: claim (``processed_at``), then
    ``blocklists.keywords.handle_inbound_text`` (keywords write their
    KeywordEvent; possible opt-outs go to the review queue), then for a keyword
    the one confirmation reply as a ``keyword`` batch (queued for dispatch on
    commit, linked by ``in_reply_to``), and for anything that is not a keyword
    ``contacts.services.route_inbound`` (the ticket is kept on the message).
    The kind, keyword and outcome are stored on the message and its send log.
    """
    now = timezone.now()
    with transaction.atomic():
        # By primary key and processed_at only: with the direction in the WHERE as well,
        # the claim matched the pending-inbound partial index's predicate, and while
        # statistics lagged a growing backlog PostgreSQL scanned that index for the id
        # (14 ms of database CPU per message at 41,000 pending, so the worker slowed
        # as its backlog grew). The direction is checked on the row instead.
        claimed = Message.objects.filter(pk=message_id, processed_at__isnull=True).update(
            processed_at=now
        )
        if not claimed:
            return False
        message = Message.objects.select_related("sender__organization").get(pk=message_id)
        if message.direction != Direction.INBOUND:
            transaction.set_rollback(True)  # not ours to claim: leave it as it was
            return False
        sender = message.sender
        organization = sender.organization
        outcome = handle_inbound_text(
            organization=organization,
            sender=sender,
            subscriber=message.subscriber,
            text=message.text,
            received_at=message.requested_at,
            inbound_ref=f"message:{message.pk}",
        )
        # What it answers, for SMS Replies' filters (they cannot search a subquery).
        answered = sent_before(sender.pk, message.subscriber, message.requested_at)
        last = answered.values_list("template", "label").first()
        message.replied_template, message.replied_label = last or (None, None)
        message.keyword_kind = outcome.kind
        message.keyword = outcome.keyword[:50]
        message.keyword_outcome = outcome.outcome[:20]
        if outcome.kind in KEYWORD_KINDS:
            detail = f"Keyword {outcome.keyword} ({outcome.kind}): {outcome.outcome}."
            if outcome.reply:
                reply = send_keyword_reply(message=message, text=outcome.reply)
                detail += f" Confirmation queued (batch {reply.public_id})."
        else:
            detail = _route(message, organization, sender)
            if outcome.kind == InboundKind.POSSIBLE_OPT_OUT:
                detail = "Possible opt-out: in the review queue. " + detail
        message.updated_at = now
        message.status_log = [*message.status_log, log_entry(message.status, detail, now)]
        message.save(
            update_fields=[
                "replied_template",
                "replied_label",
                "keyword_kind",
                "keyword",
                "keyword_outcome",
                "ticket",
                "updated_at",
                "status_log",
            ]
        )
    return True


def _route(message: Message, organization, sender: Sender) -> str:
    try:
        ticket = route_inbound(
            organization=organization,
            sender=sender,
            address=message.subscriber,
            text=message.text,
            channel=CONTACT_CHANNELS.get(sender.kind, "sms"),
            received_at=message.requested_at,
            external_id=message.provider_message_id,
        )
    except ValidationError as exc:
        # An address the contacts app cannot file; the message stays visible here.
        return f"Not routed to a ticket: {'; '.join(exc.messages)}"
    message.ticket = ticket
    return f"Routed to ticket #{ticket.pk} ({ticket.get_queue_display()})."


def send_keyword_reply(*, message: Message, text: str):
    """The one confirmation for a keyword: a batch of one through the send pipeline.

    Trigger ``keyword``, so dispatch skips the blocklist and words-not-allowed
    guards (see ``messaging.guards.check_messages``); linked to the inbound
    message by ``in_reply_to``. Call it inside the processing transaction so
    the claim makes it happen once.
    """
    return create_batch(
        organization=message.sender.organization,
        sender=message.sender,
        subscribers=[message.subscriber],
        text=text,
        trigger=Trigger.KEYWORD,
        label="Keyword confirmation",
        in_reply_to=message,
    )


def unprocessed_inbound_ids(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Inbound messages still unprocessed a minute after they were stored.

    By ``updated_at`` (the time we stored it), not ``requested_at`` (the
    channel's time, which may be older). A partial index holds only pending rows.
    """
    now = now or timezone.now()
    return list(
        Message.objects.filter(
            direction=Direction.INBOUND,
            processed_at__isnull=True,
            updated_at__lte=now - REQUEUE_AFTER,
            updated_at__gte=now - REQUEUE_WINDOW,
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
