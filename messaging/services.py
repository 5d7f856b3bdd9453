"""State changes of batches and messages: create, dispatch, send, receipts, cancel.

Each service runs in one transaction. Messages keep their own history in
``Message.status_log`` (the send log); work for Celery is queued with
``transaction.on_commit`` so a task never runs before its data is committed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Expression
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.bulk import copy_insert
from accounts.models import Organization, Sender, SenderKind, Subaccount
from accounts.normalization import PhoneNormalizer, normalize_email
from blocklists.interceptions import intercept_from_failure
from blocklists.lookups import number_in
from messaging.gateways import GatewayError, Receipt, gateway_for
from messaging.guards import Candidate, check_messages, opted_out_since_checked, render
from messaging.models import Batch, Direction, Message, Priority, Trigger
from messaging.statuses import (
    AWAITING_RECEIPT,
    NOT_STARTED,
    BatchStatus,
    FailureCategory,
    FailureCode,
    MessageStatus,
)

CHUNK = 10_000
SEND_CHUNK = 1_000
# From this many messages a batch is written by COPY on PostgreSQL (100,000: 9.5 -> 2 s).
COPY_MIN_MESSAGES = 1_000
MAX_RECIPIENTS = 100_000
MAX_SEND_ATTEMPTS = 4
# Longer than any queue backlog or retry countdown (90 s): a message untouched this long
# in ``sending``, or a batch undispatched this long, lost its task.
STALLED_AFTER = dt.timedelta(minutes=5)


class UnknownMessage(Exception):
    """No message of this organization has that provider message id."""


@dataclass(frozen=True)
class Recipients:
    """Normalised recipients, and the inputs that are not addresses (index → message)."""

    values: list[str]
    errors: dict[int, str]


def log_entry(status: str, detail: str, at: dt.datetime) -> dict:
    return {"at": at.isoformat(), "status": str(status), "detail": detail}


def append_log(entry: dict) -> Expression:
    """An SQL expression appending ``entry`` to ``status_log``, so one UPDATE serves many rows."""
    payload = json.dumps([entry])
    if connection.vendor == "postgresql":
        return RawSQL("status_log || %s::jsonb", [payload])
    return RawSQL("json_insert(status_log, '$[#]', json(%s))", [json.dumps(entry)])


def normalize_recipients(sender: Sender, values: Sequence[str]) -> Recipients:
    """Each input as E.164 (phone senders) or lower-cased email; errors by position."""
    result, errors = [], {}
    if sender.is_email:
        for i, value in enumerate(values):
            try:
                result.append(normalize_email(str(value)))
            except Exception as exc:  # ValidationError; message for the person
                errors[i] = getattr(exc, "messages", [str(exc)])[0]
        return Recipients(result, errors)
    normalizer = PhoneNormalizer(sender.organization.country)
    for i, value in enumerate(values):
        number, error = normalizer.try_normalize(str(value))
        if error:
            errors[i] = error
        else:
            result.append(number)
    return Recipients(result, errors)


def create_batch(
    *,
    organization: Organization,
    sender: Sender,
    subscribers: Sequence[str],
    text: str,
    trigger: str = Trigger.FORM,
    variables: dict | None = None,
    per_message_variables: Sequence[dict] | None = None,
    template: str = "",
    label: str = "",
    priority: str = Priority.NORMAL,
    send_at: dt.datetime | None = None,
    subaccount: Subaccount | None = None,
    created_by=None,
    file_name: str = "",
    in_reply_to: Message | None = None,
) -> Batch:
    """A batch and its messages (subscribers already normalised), nothing checked yet.

    The guards run at dispatch, not here. A batch due now is queued for dispatch
    on commit; a later one is ``programmed`` and left to beat
    (``dispatch_due_batches``). ``per_message_variables`` (from a file) are
    merged over ``variables``. ``in_reply_to`` links the messages to the
    inbound message they answer (keyword confirmations).
    """
    now = timezone.now()
    later = send_at is not None and send_at > now
    status = MessageStatus.PROGRAMMED if later else MessageStatus.PROCESSING
    subaccount = subaccount or sender.subaccount
    detail = f"Scheduled for {send_at.isoformat()}." if later else f"Accepted from the {trigger}."
    first_log = [log_entry(status, detail, now)]
    with transaction.atomic():
        batch = Batch.objects.create(
            organization=organization,
            subaccount=subaccount,
            sender=sender,
            created_by=created_by,
            created_by_name=created_by.get_username() if created_by else "",
            trigger=trigger,
            file_name=file_name,
            template=template,
            label=label,
            scheduled_at=send_at if later else None,
            status=BatchStatus.PROGRAMMED if later else BatchStatus.PROCESSING,
            message_count=len(subscribers),
        )
        common = variables or {}
        same = dict(
            organization=organization,
            subaccount=subaccount,
            sender=sender,
            batch=batch,
            direction=Direction.OUTBOUND,
            channel=sender.kind,
            priority=priority,
            text=text,
            template=template,
            label=label,
            status=status,
            requested_at=send_at if later else now,
            updated_at=now,
            status_log=first_log,
            in_reply_to=in_reply_to,
        )
        if per_message_variables:
            rows = [
                (subscriber, {**common, **per_message_variables[i]})
                for i, subscriber in enumerate(subscribers)
            ]
        else:
            rows = [(subscriber, common) for subscriber in subscribers]
        if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_MESSAGES:
            copy_insert(Message(**same), ["subscriber", "variables"], rows)
        else:
            Message.objects.bulk_create(
                (Message(**same, subscriber=s, variables=v) for s, v in rows), batch_size=2_000
            )
        if not later:
            _queue_dispatch(batch.pk)
    return batch


def _queue_dispatch(batch_id: int) -> None:
    from messaging import tasks

    # robust: a broker that is down does not undo (or fail) the committed batch;
    # beat's requeue_stalled_sends queues its dispatch later.
    transaction.on_commit(lambda: tasks.dispatch_batch.delay(batch_id), robust=True)


def claim_batch(*, batch_id: int, now: dt.datetime) -> bool:
    """Take the batch for dispatch; True for exactly one caller (conditional UPDATE)."""
    claimed = Batch.objects.filter(
        pk=batch_id,
        dispatched_at__isnull=True,
        status__in=[BatchStatus.PROGRAMMED, BatchStatus.PROCESSING],
    ).update(dispatched_at=now, status=BatchStatus.PROCESSING)
    return claimed == 1


def dispatch_batch(*, batch_id: int, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Run the guards over the batch's messages that have not started, and queue the rest.

    Returns the count per resulting status, or None when another worker has
    the batch (or it was cancelled). Queries: the claim, then per 10,000
    messages one read, the guards' handful, and one UPDATE per distinct
    outcome; none per message. Passing messages become ``sending`` and are
    queued for the gateway in chunks of 1,000 on commit.

    The claim is in the same transaction as the guards' updates: a worker
    killed half way rolls both back, so the batch can be dispatched again
    (``requeue_stalled_sends``) instead of staying claimed with nothing done.
    """
    now = now or timezone.now()
    outcome: dict[str, int] = defaultdict(int)
    to_send: list[int] = []
    with transaction.atomic():
        if not claim_batch(batch_id=batch_id, now=now):
            return None
        batch = Batch.objects.select_related(
            "sender__organization", "subaccount__organization"
        ).get(pk=batch_id)
        rows = list(
            Message.objects.filter(batch_id=batch_id, status__in=NOT_STARTED)
            .order_by("id")
            .values_list("id", "subscriber", "text", "variables")
        )
        for start in range(0, len(rows), CHUNK):
            candidates = [Candidate(*row) for row in rows[start : start + CHUNK]]
            verdicts = check_messages(
                organization=batch.organization,
                sender=batch.sender,
                subaccount=batch.subaccount,
                candidates=candidates,
                now=now,
                keyword_confirmation=batch.trigger == Trigger.KEYWORD,
            )
            groups: dict[tuple, list[int]] = defaultdict(list)
            for message_id, verdict in verdicts.items():
                groups[(verdict.status, verdict.category, verdict.detail, verdict.segments)].append(
                    message_id
                )
            for (status, category, detail, segments), ids in groups.items():
                number_in(Message.objects.all(), "id", ids).update(
                    status=status,
                    failure_category=category,
                    segments=segments,
                    sent_at=now if status == MessageStatus.SENDING else None,
                    updated_at=now,
                    status_log=append_log(log_entry(status, detail, now)),
                )
                outcome[status] += len(ids)
                if status == MessageStatus.SENDING:
                    to_send.extend(ids)
        refresh_batch_status(batch_id=batch_id)
        _queue_sends(sorted(to_send))
    return dict(outcome)


def _queue_sends(message_ids: list[int]) -> None:
    from messaging import tasks

    chunks = [message_ids[i : i + SEND_CHUNK] for i in range(0, len(message_ids), SEND_CHUNK)]

    def queue() -> None:
        for chunk in chunks:
            tasks.send_messages.delay(chunk)

    if chunks:
        # robust: see _queue_dispatch; stalled ``sending`` messages are queued again.
        transaction.on_commit(queue, robust=True)


def send_messages(
    *, message_ids: Sequence[int], attempt: int = 1, max_attempts: int = MAX_SEND_ATTEMPTS
) -> list[int]:
    """Hand ``sending`` messages to their gateway; returns the ids to try again later.

    Accepted ones become ``sent`` with the provider's id. A GatewayError leaves
    the message ``sending`` for a retry (logged) until ``max_attempts``, then
    ``error`` with the gateway's detail in the send log. Messages no longer
    ``sending`` (cancelled, already sent by a redelivered task) are skipped.

    Before the gateway is called, the messages are claimed (``handed_over_at``,
    committed, rows locked by another run skipped): a second run of the same
    chunk, at once or later, never hands a message over again. A worker killed
    between the claim and ``sent`` leaves claimed messages whose hand-over is
    uncertain; ``resolve_uncertain_sends`` decides what becomes of them.
    """
    messages = _claim_for_gateway(list(message_ids), timezone.now())
    if not messages:
        return []
    senders = Sender.objects.select_related("organization").in_bulk(
        {message.sender_id for message in messages}
    )
    for message in messages:
        message.sender = senders[message.sender_id]
    messages = _hold_back_opted_out(messages)
    gateways: dict[int, object] = {}
    accepted: list[Message] = []
    failures: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        gateway = gateways.get(message.sender_id)
        if gateway is None:
            gateway = gateways[message.sender_id] = gateway_for(message.sender)
        text, _missing = render(message.text, message.variables)
        try:
            message.provider_message_id = gateway.send(message, text)
        except GatewayError as exc:
            failures[str(exc)[:300]].append(message.pk)
            continue
        accepted.append(message)
    now = timezone.now()
    retry: list[int] = []
    with transaction.atomic():
        if accepted:
            _mark_sent(accepted, now)
        for detail, ids in failures.items():
            if attempt < max_attempts:
                note = f"Gateway error (attempt {attempt} of {max_attempts}), will retry: {detail}"
                Message.objects.filter(pk__in=ids).update(
                    handed_over_at=None,  # not accepted: the retry claims it again
                    updated_at=now,
                    status_log=append_log(log_entry(MessageStatus.SENDING, note, now)),
                )
                retry.extend(ids)
            else:
                note = f"Gateway error after {attempt} attempts: {detail}"
                Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING).update(
                    status=MessageStatus.ERROR,
                    updated_at=now,
                    status_log=append_log(log_entry(MessageStatus.ERROR, note, now)),
                )
        _refresh_batches_done_sending({m.batch_id for m in messages})
        by_sender: dict[int, list[Message]] = defaultdict(list)
        for message in accepted:
            by_sender[message.sender_id].append(message)
        for sender_id, sent in by_sender.items():
            transaction.on_commit(lambda g=gateways[sender_id], s=sent: g.after_send(s))
    return retry


def _hold_back_opted_out(messages: list[Message]) -> list[Message]:
    """Stop the claimed messages whose number opted out after the guards passed them
    (``process_failed`` / unsubscribe, said in the send log); return the others."""
    stopped = opted_out_since_checked(messages)
    if not stopped:
        return messages
    now = timezone.now()
    by_detail: dict[str, list[int]] = defaultdict(list)
    for message_id, detail in stopped.items():
        by_detail[detail].append(message_id)
    with transaction.atomic():
        for detail, ids in by_detail.items():
            Message.objects.filter(pk__in=ids, status=MessageStatus.SENDING).update(
                status=MessageStatus.PROCESS_FAILED,
                failure_category=FailureCategory.UNSUBSCRIBE,
                sent_at=None,
                updated_at=now,
                status_log=append_log(log_entry(MessageStatus.PROCESS_FAILED, detail, now)),
            )
        _refresh_batches_done_sending({m.batch_id for m in messages if m.pk in stopped})
    return [message for message in messages if message.pk not in stopped]


def _refresh_batches_done_sending(batch_ids: set[int | None]) -> None:
    # The batch's status only changes once its last message leaves ``sending``.
    for batch_id in batch_ids - {None}:
        if not Message.objects.filter(batch_id=batch_id, status=MessageStatus.SENDING).exists():
            refresh_batch_status(batch_id=batch_id)


# The rows are found by primary key alone and their status is checked once locked:
# with "status = 'sending'" in the scan's WHERE, the planner matched the partial index
# of sending messages and, while its statistics lagged a new batch, read all of the
# batch's sending entries for each chunk (16 of 27 s of a 100,000-message dispatch).
CLAIM_POSTGRES = """
WITH free AS (
    SELECT id, status, handed_over_at FROM messaging_message
    WHERE id = ANY(%s)
    FOR UPDATE SKIP LOCKED
)
UPDATE messaging_message AS m SET handed_over_at = %s
FROM free WHERE m.id = free.id AND free.status = %s AND free.handed_over_at IS NULL
RETURNING m.*
"""


def _claim_for_gateway(message_ids: list[int], claimed_at: dt.datetime) -> list[Message]:
    """Claim the messages still ``sending`` and unclaimed among ``message_ids`` (rows
    another run holds are skipped), commit the claim, and return them by id.

    On PostgreSQL one statement locks, claims and reads them; read apart, and joined
    with the sender, the planner could start from the sender's messages while its
    statistics lagged a big new batch (0.7 s per 1,000 messages instead of 5 ms).
    """
    if connection.vendor == "postgresql":
        with transaction.atomic():
            messages = list(
                Message.objects.raw(
                    CLAIM_POSTGRES, [message_ids, claimed_at, MessageStatus.SENDING]
                )
            )
        messages.sort(key=lambda message: message.pk)
        return messages
    with transaction.atomic():
        ids = list(
            Message.objects.filter(
                pk__in=message_ids, status=MessageStatus.SENDING, handed_over_at__isnull=True
            )
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)
        )
        Message.objects.filter(pk__in=ids).update(handed_over_at=claimed_at)
    return list(Message.objects.filter(pk__in=ids).order_by("id"))


def stalled_dispatch(*, now: dt.datetime | None = None, limit: int = 100_000):
    """What a lost task left behind: (batch ids never dispatched, message ids still ``sending``).

    A batch due now that no worker claimed within ``STALLED_AFTER`` of its
    creation, and messages ``sending`` untouched for as long (their task died
    with a killed worker, or the broker was down when it was queued). Queuing
    them again is safe: the claim makes a second dispatch a no-op, and
    ``send_messages`` skips messages no longer ``sending``; a message whose
    gateway call was made but not recorded before the crash is handed over
    again with the same ``idempotency_key`` (see ``messaging.gateways``).
    """
    now = now or timezone.now()
    before = now - STALLED_AFTER
    resolve_uncertain_sends(before=before, now=now)
    batches = list(
        Batch.objects.filter(
            status=BatchStatus.PROCESSING, dispatched_at__isnull=True, created_at__lte=before
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:1000]
    )
    messages = list(
        Message.objects.filter(status=MessageStatus.SENDING, updated_at__lte=before)
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    return batches, sorted(messages)


UNCERTAIN_NOT_SENT = (
    "The worker stopped while handing this message to the channel, which may or may not "
    "have it. Not sent again, so that it cannot arrive twice; send it again if needed."
)


def resolve_uncertain_sends(*, before: dt.datetime, now: dt.datetime) -> tuple[int, int]:
    """Messages claimed for the gateway before ``before`` and still ``sending``.

    Their worker died between the claim and ``sent``: the gateway may have
    accepted them. A gateway that passes ``idempotency_key`` to its provider
    (``Gateway.idempotent``) gets them again (the provider drops a repeat):
    the claim is released. Any other gateway could deliver them twice, so they
    end as ``error`` with the reason in the send log. Returns (released, ended).
    """
    uncertain = (
        Message.objects.filter(
            status=MessageStatus.SENDING, handed_over_at__lte=before, updated_at__lte=before
        )
        .select_related("sender")
        .only("id", "sender")
    )
    release, end = [], []
    idempotent: dict[int, bool] = {}
    for message in uncertain[:100_000]:
        if message.sender_id not in idempotent:
            idempotent[message.sender_id] = gateway_for(message.sender).idempotent
        (release if idempotent[message.sender_id] else end).append(message.pk)
    with transaction.atomic():
        if release:
            number_in(Message.objects.filter(status=MessageStatus.SENDING), "id", release).update(
                handed_over_at=None
            )
        if end:
            entry = log_entry(MessageStatus.ERROR, UNCERTAIN_NOT_SENT, now)
            number_in(Message.objects.filter(status=MessageStatus.SENDING), "id", end).update(
                status=MessageStatus.ERROR, updated_at=now, status_log=append_log(entry)
            )
            for batch_id in set(
                Message.objects.filter(pk__in=end[:1000]).values_list("batch_id", flat=True)
            ):
                if batch_id:
                    refresh_batch_status(batch_id=batch_id)
    return len(release), len(end)


def _mark_sent(accepted: Sequence[Message], now: dt.datetime) -> None:
    """``sent`` with each message's provider id: one statement on PostgreSQL.

    Only messages still ``sending`` move, so a task delivered twice cannot move
    a delivered message back to ``sent``.
    """
    entry = json.dumps([log_entry(MessageStatus.SENT, "Accepted by the channel.", now)])
    if connection.vendor == "postgresql":
        ids = [m.pk for m in accepted]
        # "m.id = ANY" lets the planner use the primary key instead of a hash join
        # over the whole table (5 s per 1,000 rows at 200k messages without it).
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE messaging_message AS m
                SET provider_message_id = v.pid, status = %s, sent_at = %s, updated_at = %s,
                    status_log = m.status_log || %s::jsonb
                FROM unnest(%s::bigint[], %s::text[]) AS v(id, pid)
                WHERE m.id = v.id AND m.id = ANY(%s::bigint[]) AND m.status = %s
                """,
                [
                    MessageStatus.SENT,
                    now,
                    now,
                    entry,
                    ids,
                    [m.provider_message_id for m in accepted],
                    ids,
                    MessageStatus.SENDING,
                ],
            )
        return
    Message.objects.bulk_update(accepted, ["provider_message_id"], batch_size=SEND_CHUNK)
    number_in(
        Message.objects.filter(status=MessageStatus.SENDING), "id", [m.pk for m in accepted]
    ).update(
        status=MessageStatus.SENT,
        sent_at=now,
        updated_at=now,
        status_log=append_log(log_entry(MessageStatus.SENT, "Accepted by the channel.", now)),
    )


def apply_receipt(*, organization: Organization | None, receipt: Receipt) -> Message:
    """Apply a delivery receipt; the message never moves backwards.

    Only a message still ``sending`` or ``sent`` changes: a repeated or late
    receipt for a delivered or failed message changes nothing. A failure
    (code 500-590, 590 when none is given) becomes ``send_failed`` and goes
    through the interception code table (``intercept_from_failure``), which
    writes its own event. Raises UnknownMessage for an id this organization
    (any, when None) does not have.
    """
    at = receipt.at or timezone.now()
    with transaction.atomic():
        # of=("self",): only the message row. A plain FOR UPDATE with the join would lock
        # the organization row too, serialising every receipt of the organization (and
        # deadlocking against inbound processing, measured by bench/bench_inbound.py).
        query = Message.objects.select_for_update(of=("self",)).filter(
            provider_message_id=receipt.provider_message_id, direction=Direction.OUTBOUND
        )
        if organization is not None:
            query = query.filter(organization=organization)
        message = query.select_related("organization").first()
        if message is None:
            raise UnknownMessage(receipt.provider_message_id)
        if message.status not in AWAITING_RECEIPT:
            return message
        now = timezone.now()
        if receipt.delivered:
            message.status = MessageStatus.DELIVERED
            detail = "Delivery receipt: delivered."
        else:
            code = receipt.error_code or FailureCode.OTHER
            message.status = MessageStatus.SEND_FAILED
            message.failure_code = code
            detail = f"Delivery receipt: failed with {code} {FailureCode(code).label}."
        message.receipt_at = at
        message.updated_at = now
        message.status_log = [*message.status_log, log_entry(message.status, detail, at)]
        message.save(
            update_fields=["status", "failure_code", "receipt_at", "updated_at", "status_log"]
        )
        if not receipt.delivered and message.channel != SenderKind.EMAIL:
            intercept_from_failure(
                number=message.subscriber,
                code=message.failure_code,
                organization=message.organization,
                at=at,
            )
    return message


def cancel_batch(*, batch: Batch, actor=None) -> int:
    """Cancel a programmed batch: its messages that have not started become ``cancelled``.

    Returns how many messages were cancelled; 0 when the batch already started
    (the conditional UPDATE on the batch decides against a dispatching worker).
    """
    now = timezone.now()
    who = actor.get_username() if actor is not None else "the API"
    with transaction.atomic():
        taken = Batch.objects.filter(
            pk=batch.pk, status=BatchStatus.PROGRAMMED, dispatched_at__isnull=True
        ).update(status=BatchStatus.CANCELLED)
        if not taken:
            return 0
        cancelled = Message.objects.filter(batch=batch, status__in=NOT_STARTED).update(
            status=MessageStatus.CANCELLED,
            updated_at=now,
            status_log=append_log(log_entry(MessageStatus.CANCELLED, f"Cancelled by {who}.", now)),
        )
    batch.refresh_from_db()
    return cancelled


def due_batch_ids(*, now: dt.datetime | None = None) -> list[int]:
    """Programmed batches whose time has come (beat dispatches them)."""
    now = now or timezone.now()
    return list(
        Batch.objects.filter(
            status=BatchStatus.PROGRAMMED, scheduled_at__lte=now, dispatched_at__isnull=True
        )
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:1000]
    )


def batch_counts(batch_id: int) -> dict[str, int]:
    """Messages of the batch per status: one GROUP BY on the (batch, status) index."""
    return dict(
        Message.objects.filter(batch_id=batch_id)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def derive_batch_status(counts: dict[str, int]) -> str:
    """A batch's status from its messages' counts."""
    total = sum(counts.values())
    for waiting, batch_status in (
        (MessageStatus.PROGRAMMED, BatchStatus.PROGRAMMED),
        (MessageStatus.PROCESSING, BatchStatus.PROCESSING),
        (MessageStatus.SENDING, BatchStatus.SENDING),
    ):
        if counts.get(waiting):
            return batch_status
    if total and counts.get(MessageStatus.CANCELLED) == total:
        return BatchStatus.CANCELLED
    if total and counts.get(MessageStatus.BLOCKED_TIME) == total:
        return BatchStatus.BLOCKED_TIME
    if total and counts.get(MessageStatus.ERROR) == total:
        return BatchStatus.ERROR
    return BatchStatus.SENT


def refresh_batch_status(*, batch_id: int) -> str:
    """Store the status derived from the messages (once dispatch has started)."""
    status = derive_batch_status(batch_counts(batch_id))
    Batch.objects.filter(pk=batch_id, dispatched_at__isnull=False).exclude(status=status).update(
        status=status
    )
    return status


def purge_old_messages(*, now: dt.datetime | None = None, batch_size: int = 10_000) -> int:
    """Delete messages older than each organization's retention, in bounded batches.

    Only messages: blocklist entries, interceptions and every audit log are kept
    (they live in other tables). Each batch is its own short transaction, so the
    pages and the pipeline are never held up. Returns how many were deleted.
    """
    now = now or timezone.now()
    deleted = 0
    for organization in Organization.objects.only("pk", "message_retention_days"):
        cutoff = now - dt.timedelta(days=organization.message_retention_days)
        while True:
            ids = list(
                Message.objects.filter(organization=organization, requested_at__lt=cutoff)
                .order_by("requested_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            with transaction.atomic():
                Message.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
    return deleted
