"""State changes of sender blocklists. Each writes its BlocklistEvent in the same transaction.

Other apps use ``is_blocklisted``, ``blocklisted_among``, ``add_entry``,
``revert_entry``, ``opt_out`` and ``opt_in``; the CSV import lives in
``blocklists.imports`` and email unsubscribes in ``blocklists.unsubscribe``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Sender
from accounts.normalization import normalize_subscriber
from blocklists.lookups import chunk_size, number_in
from blocklists.models import (
    BlocklistEntry,
    BlocklistEvent,
    ConsentText,
    EventAction,
    Reason,
    Source,
)


class ConsentRequired(Exception):
    """An add or revert by a person was attempted without a confirmed consent text."""


@dataclass(frozen=True)
class AddResult:
    entry: BlocklistEntry
    created: bool


def _actor_name(user) -> str:
    if user is None:
        return ""
    return user.get_username()


def write_event(
    *,
    entry: BlocklistEntry,
    action: str,
    actor=None,
    consent: ConsentText | None = None,
    note: str = "",
    at=None,
) -> BlocklistEvent:
    """Append one event with the entry's data as it is now."""
    return BlocklistEvent.objects.create(
        organization_id=entry.sender.organization_id,
        sender=entry.sender,
        sender_address=entry.sender.address,
        subscriber=entry.subscriber,
        action=action,
        reason=entry.reason,
        source=entry.source,
        excluded_at=entry.excluded_at,
        actor=actor,
        actor_name=_actor_name(actor),
        consent=consent,
        import_job_id=entry.import_job_id,
        note=note[:500],
        created_at=at or timezone.now(),
    )


def add_entry(
    *,
    sender: Sender,
    subscriber: str,
    reason: str = Reason.NOT_DEFINED,
    source: str = Source.MANUAL,
    actor=None,
    consent: ConsentText | None = None,
    country: str | None = None,
    note: str = "",
) -> AddResult:
    """Blocklist ``subscriber`` on ``sender`` (normalised for the sender's kind).

    A person (``actor``) must have confirmed the add consent text. Adding a
    subscriber already on the list changes nothing and returns ``created=False``.
    Raises ValidationError for input that is not a valid number or address.
    Writes an ``added`` BlocklistEvent when it adds.
    """
    if actor is not None and (consent is None or consent.purpose != ConsentText.Purpose.ADD):
        raise ConsentRequired("Confirm the consent dialog before adding to a blocklist.")
    value = normalize_subscriber(sender.kind, subscriber, country or sender.organization.country)
    # No savepoint of its own: an error here is never caught and gone past; the inner
    # one is what lets a concurrent duplicate insert be answered as "already there".
    with transaction.atomic(savepoint=False):
        existing = BlocklistEntry.objects.filter(sender=sender, subscriber=value).first()
        if existing is not None:
            return AddResult(existing, created=False)
        now = timezone.now()
        try:
            with transaction.atomic():
                entry = BlocklistEntry.objects.create(
                    sender=sender,
                    subscriber=value,
                    reason=reason,
                    source=source,
                    excluded_at=now,
                    added_by=actor,
                )
        except IntegrityError:
            # Another request added it between our check and our insert.
            return AddResult(
                BlocklistEntry.objects.get(sender=sender, subscriber=value), created=False
            )
        write_event(
            entry=entry, action=EventAction.ADDED, actor=actor, consent=consent, note=note, at=now
        )
        return AddResult(entry, created=True)


def revert_entry(
    *, entry_id: int, sender: Sender, actor=None, consent: ConsentText | None = None, note=""
) -> bool:
    """Remove an entry because the subscriber consents again; writes a ``reverted`` event.

    A person must have confirmed the revert consent text. Returns False when the
    entry is already gone (a second revert is harmless and writes nothing).
    """
    if actor is not None and (consent is None or consent.purpose != ConsentText.Purpose.REVERT):
        raise ConsentRequired("Confirm that the subscriber consents before reverting.")
    with transaction.atomic():
        entry = (
            BlocklistEntry.objects.select_for_update()
            .select_related("sender")
            .filter(pk=entry_id, sender=sender)
            .first()
        )
        if entry is None:
            return False
        write_event(
            entry=entry, action=EventAction.REVERTED, actor=actor, consent=consent, note=note
        )
        entry.delete()
        return True


def opt_out(
    *, sender: Sender, subscriber: str, source: str = Source.OPT_OUT, note: str = ""
) -> AddResult:
    """The subscriber asked to stop (keyword, unsubscribe link, bounce): idempotent add."""
    return add_entry(
        sender=sender,
        subscriber=subscriber,
        reason=Reason.SUBSCRIBER_COMPLAINT if source == Source.EMAIL_SERVER else Reason.NOT_DEFINED,
        source=source,
        note=note,
    )


def opt_in(*, sender: Sender, subscriber: str, note: str = "") -> bool:
    """The subscriber asked to receive again (START ...): removes the entry if any.

    Idempotent; returns whether an entry was removed. The subscriber's own
    message is their consent, so no consent text is involved.
    """
    value = normalize_subscriber(sender.kind, subscriber, sender.organization.country)
    entry = BlocklistEntry.objects.filter(sender=sender, subscriber=value).only("pk").first()
    if entry is None:
        return False
    return revert_entry(entry_id=entry.pk, sender=sender, note=note or "opt-in by subscriber")


def is_blocklisted(sender: Sender, subscriber: str) -> bool:
    """Whether the (already normalised) subscriber is on this sender's list."""
    return BlocklistEntry.objects.filter(sender=sender, subscriber=subscriber).exists()


def blocklisted_among(sender: Sender, subscribers: Iterable[str]) -> set[str]:
    """The (normalised) subscribers that are on this sender's list.

    One query per chunk of subscribers (see ``blocklists.lookups``).
    """
    found: set[str] = set()
    chunk: list[str] = []
    size = chunk_size()
    for subscriber in subscribers:
        chunk.append(subscriber)
        if len(chunk) >= size:
            found |= _blocklisted_chunk(sender, chunk)
            chunk = []
    if chunk:
        found |= _blocklisted_chunk(sender, chunk)
    return found


def _blocklisted_chunk(sender: Sender, chunk: list[str]) -> set[str]:
    rows = number_in(BlocklistEntry.objects.filter(sender=sender), "subscriber", chunk)
    return set(rows.values_list("subscriber", flat=True))


def record_email_feedback(*, sender: Sender, address: str, event: str, bounce_type=None, at=None):
    """Bounces and complaints from the email provider (see ``blocklists.unsubscribe``).

    Hard bounces and complaints blocklist the address with source EMAIL SERVER at
    once; soft bounces do after 3 in 7 days. Returns whether it is now blocklisted.
    """
    from blocklists.unsubscribe import record_email_feedback as record

    return record(sender=sender, address=address, event=event, bounce_type=bounce_type, at=at)
