"""Celery entry points of messaging: thin, they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from messaging import counts, services
from messaging.gateways import LoopbackGateway
from messaging.models import Message


def retry_countdown(attempt: int) -> int:
    """Backoff before send attempt ``attempt + 1``: 10 s, 40 s, 90 s ..."""
    return 10 * attempt * attempt


# acks_late: a worker lost mid-dispatch leaves the task to run again; the claim
# (dispatched_at) makes the second run a no-op instead of a double send.
@shared_task(acks_late=True, ignore_result=True, time_limit=30 * 60, soft_time_limit=29 * 60)
def dispatch_batch(batch_id: int) -> None:
    """Run the guards over one batch and queue its messages for the gateway."""
    services.dispatch_batch(batch_id=batch_id)


@shared_task(acks_late=True, ignore_result=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def send_messages(message_ids: list[int], attempt: int = 1) -> None:
    """Hand up to 1,000 messages to their gateway; gateway errors come back with a backoff."""
    retry = services.send_messages(message_ids=message_ids, attempt=attempt)
    if retry:
        send_messages.apply_async((retry, attempt + 1), countdown=retry_countdown(attempt))


@shared_task(acks_late=True, ignore_result=True, time_limit=10 * 60, soft_time_limit=9 * 60)
def loopback_receipts(message_ids: list[int]) -> None:
    """The loopback gateway's delivery receipts, through the status endpoint's service."""
    messages = list(
        Message.objects.filter(pk__in=message_ids, provider_message_id__isnull=False).only(
            "id", "subscriber", "provider_message_id"
        )
    )
    for receipt in LoopbackGateway().receipts_for(messages):
        services.apply_receipt(organization=None, receipt=receipt)


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def dispatch_due_batches() -> None:
    """Queue the dispatch of programmed batches that are due (run by beat every minute)."""
    for batch_id in services.due_batch_ids():
        dispatch_batch.delay(batch_id)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def requeue_stalled_sends() -> None:
    """Queue again dispatches and sends whose task was lost (run by beat every minute)."""
    batch_ids, message_ids = services.stalled_dispatch()
    for batch_id in batch_ids:
        dispatch_batch.delay(batch_id)
    for start in range(0, len(message_ids), services.SEND_CHUNK):
        send_messages.delay(message_ids[start : start + services.SEND_CHUNK])


# acks_late: a message answered 202 must never be lost to a dying worker; the
# claim on processed_at makes a redelivered task a no-op.
@shared_task(
    bind=True, acks_late=True, ignore_result=True, time_limit=60, soft_time_limit=50, max_retries=5
)
def process_inbound(self, message_id: int) -> None:
    """Apply one inbound message: keyword and its reply, review queue or ticket."""
    from messaging import inbound

    try:
        inbound.process_inbound(message_id=message_id)
    except Exception as exc:
        # The processing transaction rolled back, claim included: try again later
        # (and beat's requeue_unprocessed_inbound after the last retry).
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries + 1)) from exc


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def requeue_unprocessed_inbound() -> None:
    """Queue again inbound messages no worker processed (run by beat every minute)."""
    from messaging import inbound

    for message_id in inbound.unprocessed_inbound_ids():
        process_inbound.delay(message_id)


@shared_task(ignore_result=True, time_limit=60 * 60, soft_time_limit=55 * 60)
def purge_old_messages() -> None:
    """Nightly: messages past their organization's retention go (see the service)."""
    services.purge_old_messages()


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def compact_message_counts() -> None:
    """Fold the per-change rows of the message counts (run by beat every minute)."""
    counts.compact()
