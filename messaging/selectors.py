"""Read queries over messages that the pages and the API share, and the suppression check."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.access import Actor
from accounts.models import Organization, Sender, SenderKind
from blocklists.interceptions import active_interceptions_among
from blocklists.keywords import (
    PendingOptOut,
    StoredText,
    pending_opt_outs,
    pending_opt_outs_by_sender,
)
from blocklists.lookups import chunk_size, text_array
from blocklists.models import BlocklistEntry, Source
from messaging.models import Batch, Direction, Message

CHUNK = 10_000


def messages_for(actor: Actor, related: tuple[str, ...] = ("sender", "batch")) -> QuerySet[Message]:
    """The messages ``actor`` may see, joined with ``related`` (a list that shows no
    batch need not join it)."""
    return actor.scope(Message.objects.select_related(*related))


def batches_for(actor: Actor) -> QuerySet[Batch]:
    return actor.scope(Batch.objects.select_related("sender", "subaccount"))


def sender_by_address(actor: Actor, address: str) -> Sender | None:
    """The actor's sender with this address (as typed or normalised for its kind)."""
    from accounts.senders import normalize_sender_address

    own = actor.organization if not actor.is_platform_staff else None
    if own is not None:
        # Runs on every API call (the inbound webhook's too): the organization is
        # loaded already, so the query needs no join for it.
        senders = Sender.objects.filter(organization=own).select_related("subaccount")
    else:
        senders = actor.scope(Sender.objects.select_related("organization", "subaccount"))
    country = actor.organization.country if actor.organization else "US"

    def candidates():
        yield address.strip()  # as providers send it, almost always
        for kind in (SenderKind.EMAIL, SenderKind.SMS_LONG_CODE, SenderKind.SMS_SHORT_CODE):
            try:
                yield normalize_sender_address(kind, address, country)
            except Exception:  # ValidationError for this kind: try the next
                continue

    tried = set()
    for candidate in candidates():
        if candidate in tried:
            continue
        tried.add(candidate)
        found = senders.filter(address=candidate).first()
        if found is not None:
            if own is not None:
                found.organization = own
            return found
    return None


def suppressions_among(sender: Sender, subscribers: Sequence[str]) -> dict[str, list[dict]]:
    """Why each blocked subscriber may not receive from ``sender``; absent means free.

    Blocklist entries of the sender and the interceptions that block the number
    for the sender's organization (a global one before a local one). On
    PostgreSQL one query each with ``= ANY(array)`` (a 100k-literal ``IN``
    costs seconds of planning); elsewhere one query each per 10,000.
    """
    unique = list(dict.fromkeys(subscribers))
    is_phone = sender.kind != SenderKind.EMAIL
    if connection.vendor == "postgresql":
        entries, intercepted = _suppressions_postgresql(sender, unique, is_phone)
    else:
        entries = []
        for start in range(0, len(unique), CHUNK):
            entries += BlocklistEntry.objects.filter(
                sender=sender, subscriber__in=unique[start : start + CHUNK]
            ).values_list("subscriber", "reason", "source", "excluded_at")
        intercepted = []
        if is_phone:
            found = active_interceptions_among(organization=sender.organization, numbers=unique)
            intercepted = [(n, i.code, i.scope, i.expires_at) for n, i in found.items()]
    result: dict[str, list[dict]] = {}
    for subscriber, reason, source, since in entries:
        result.setdefault(subscriber, []).append(
            {"type": "blocklist", "reason": reason, "source": source, "since": since}
        )
    for subscriber, pending in pending_opt_outs_among(sender, unique).items():
        if subscriber not in result:  # already on the list: the entry says it
            result[subscriber] = [
                {
                    "type": "blocklist",
                    "reason": "not_defined",
                    "source": Source.OPT_OUT,
                    "since": pending.received_at,
                    "pending": True,
                    "keyword": pending.keyword,
                }
            ]
    for number, code, scope, expires_at in intercepted:
        result.setdefault(number, []).append(
            {"type": "interception", "code": code, "scope": scope, "expires_at": expires_at}
        )
    return result


# Above this many numbers, one EXISTS first: with nothing pending (nearly always) it is
# cheaper than sending the numbers: 1,000 numbers 2.2 -> 0.8 ms in all, 10,000 numbers
# 23 -> 1.4 ms (bench/pending_lookup.py, docs/performance.md).
PENDING_PRECHECK_ABOVE = 20
_PENDING_SQL = (
    "SELECT sender_id, channel, subscriber, text, requested_at FROM messaging_message "
    "WHERE organization_id = %s AND direction = 'inbound' AND processed_at IS NULL "
    "AND subscriber = ANY(%s::varchar[])"
)


def pending_opt_outs_among(
    sender: Sender, subscribers: Sequence[str], organization: Organization | None = None
) -> dict[str, PendingOptOut]:
    """The subscribers whose opt-out is stored but not yet applied by the worker, for
    ``sender`` (``blocklists.keywords.pending_opt_outs`` decides from the texts).

    One query per chunk (for more than ``PENDING_PRECHECK_ABOVE`` numbers an EXISTS
    first, usually the only one), plus two when a text is pending. PostgreSQL reads
    the few numbers of a check along the number index and a long list along the
    partial index of pending rows (empty but for a backlog). No index of its own: one
    cost the inbound endpoint 0.6-1.3 ms of CPU per request, and saved 0.26 s per
    10,000 numbers only behind a backlog of 200,000 (docs/performance.md). Email
    senders receive no texts.
    """
    if sender.kind == SenderKind.EMAIL or not subscribers:
        return {}
    texts = _stored_texts(sender.organization_id, list(dict.fromkeys(subscribers)))
    if not texts:
        return {}
    return pending_opt_outs(
        organization=organization or sender.organization, sender=sender, texts=texts
    )


def pending_opt_outs_of(
    organization: Organization, subscriber: str, senders: Sequence[Sender]
) -> dict[int, PendingOptOut]:
    """Which of ``senders`` (by id) a stored, unprocessed opt-out of ``subscriber``
    already blocks: what the Block List page shows before the worker's entry exists.
    One query, plus two when a text is pending."""
    phones = [s for s in senders if s.kind != SenderKind.EMAIL]
    texts = _stored_texts(organization.pk, [subscriber]) if phones else []
    if not texts:
        return {}
    found = pending_opt_outs_by_sender(organization=organization, senders=phones, texts=texts)
    return {pk: by_number[subscriber] for pk, by_number in found.items() if by_number}


def _stored_texts(organization_id: int, unique: list[str]) -> list[StoredText]:
    """The organization's inbound texts from these numbers that no worker has processed."""
    pending = Message.objects.filter(
        organization_id=organization_id,
        direction=Direction.INBOUND,
        processed_at__isnull=True,
    )
    if len(unique) > PENDING_PRECHECK_ABOVE and not pending.exists():
        return []
    texts: list[StoredText] = []
    size = chunk_size()
    for start in range(0, len(unique), size):
        chunk = unique[start : start + size]
        if connection.vendor == "postgresql":
            # Raw: the ORM's queryset and compiler cost more than the query (0.4 ms).
            with connection.cursor() as cursor:
                cursor.execute(_PENDING_SQL, [organization_id, chunk])
                rows = cursor.fetchall()
        else:
            rows = (
                pending.filter(subscriber__in=chunk)
                .order_by()
                .values_list("sender_id", "channel", "subscriber", "text", "requested_at")
            )
        texts += [StoredText(*row) for row in rows]
    return texts


def _suppressions_postgresql(sender: Sender, unique: list[str], is_phone: bool):
    # The numbers as one text, built once for both queries (blocklists.lookups).
    numbers, numbers_params = text_array(unique)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT subscriber, reason, source, excluded_at FROM blocklists_blocklistentry "
            f"WHERE sender_id = %s AND subscriber = ANY({numbers})",
            [sender.pk, *numbers_params],
        )
        entries = cursor.fetchall()
        intercepted = []
        if is_phone:
            # DISTINCT ON keeps one row per number: global ('global' < 'local') first.
            cursor.execute(
                "SELECT DISTINCT ON (number) number, code, scope, expires_at "
                f"FROM blocklists_interception WHERE number = ANY({numbers}) AND expires_at > %s "
                "AND (scope = 'global' OR (scope = 'local' AND organization_id = %s)) "
                "ORDER BY number, scope",
                [*numbers_params, timezone.now(), sender.organization_id],
            )
            intercepted = cursor.fetchall()
    return entries, intercepted


def sent_before(sender_id, subscriber, at) -> QuerySet[Message]:
    """What we sent ``subscriber`` from the sender by ``at``, last sent first: the first
    is the message a reply received at ``at`` answers (served by the (subscriber,
    sent_at) index). Values or ``OuterRef``s."""
    return Message.objects.filter(
        sender_id=sender_id,
        subscriber=subscriber,
        direction=Direction.OUTBOUND,
        sent_at__isnull=False,
        sent_at__lte=at,
    ).order_by("-sent_at", "-id")


def with_answered(queryset: QuerySet[Message]) -> QuerySet[Message]:
    """Inbound messages with what each answers: ``last_template``, the template of the
    last outbound message we sent that number from that sender before the reply
    arrived ("" when it had none, None when we never sent one). One correlated
    subquery in the same SELECT, served by the (subscriber, sent_at) index; for a page
    of a long list use ``fill_answered`` after paging."""
    last_sent = sent_before(OuterRef("sender_id"), OuterRef("subscriber"), OuterRef("requested_at"))
    return queryset.annotate(last_template=Subquery(last_sent.values("template")[:1]))


def fill_answered(replies: list[Message]) -> None:
    """``with_answered``'s values set on replies already read, by one query over their ids.

    PostgreSQL computes a SELECT's subqueries for every row an OFFSET skips: page 1,000
    of SMS Replies (50,000 rows skipped) took 21 s with them in the list's query.
    """
    if not replies:
        return
    ids = [reply.pk for reply in replies]
    answered = with_answered(Message.objects.filter(pk__in=ids))
    found = dict(answered.values_list("pk", "last_template"))
    for reply in replies:
        reply.last_template = found.get(reply.pk)


def replies_for(
    actor: Actor, *, sender: Sender | None = None, answered: bool = True
) -> QuerySet[Message]:
    """Inbound messages the actor may see, newest first, each with what it answers
    (``with_answered``; not with ``answered=False``, for a list paged with
    ``fill_answered``). Filter further (subscriber, dates, ``keyword_kind``) and
    paginate in the caller; the list itself uses the partial (organization,
    -requested_at) index of inbound messages.
    """
    queryset = actor.scope(
        Message.objects.filter(direction=Direction.INBOUND).select_related("sender", "ticket")
    )
    if sender is not None:
        queryset = queryset.filter(sender=sender)
    if answered:
        queryset = with_answered(queryset)
    return queryset.order_by("-requested_at", "-id")
