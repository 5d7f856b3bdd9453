"""Keywords from inbound messages (STOP, START, HELP ...) and possible opt-outs.

``handle_inbound_text`` is the one entry point the inbound pipeline (messaging)
calls for every inbound text: it classifies the text with the organization's
rules and applies it, returning the reply to send (at most one) or the review
queue item it created. Every keyword writes a ``KeywordEvent`` naming the
inbound message that caused it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.locks import lock_for_transaction
from accounts.models import Organization, Sender
from blocklists import services
from blocklists.keyword_rules import (
    DEFAULT_KEYWORDS,
    PROTECTED_KEYWORDS,
    normalize_text,
    possible_opt_out_rule,
)
from blocklists.models import (
    BlocklistEntry,
    KeywordEvent,
    KeywordKind,
    KeywordRule,
    KeywordSettings,
    OptOutScope,
    PossibleOptOut,
    Source,
)

REVIEW_BUSINESS_DAYS = 10

DEFAULT_REPLIES = {
    KeywordKind.OPT_OUT: (
        "{organization}: you are unsubscribed from {sender} and will receive no more "
        "messages. Reply START to resubscribe. Msg&Data rates may apply."
    ),
    KeywordKind.OPT_IN: (
        "{organization}: you are subscribed to {sender} again. Reply HELP for help, STOP to "
        "unsubscribe. Msg&Data rates may apply."
    ),
    KeywordKind.HELP: (
        "{organization}: reply STOP to unsubscribe, START to resubscribe. Msg&Data rates may apply."
    ),
}


@dataclass(frozen=True)
class Classification:
    kind: str  # opt_out, opt_in, help, possible_opt_out or none
    keyword: str = ""
    rule: str = ""


@dataclass(frozen=True)
class InboundOutcome:
    kind: str
    keyword: str = ""
    reply: str | None = None
    outcome: str = ""
    possible_opt_out: PossibleOptOut | None = None


def settings_for(organization: Organization) -> KeywordSettings:
    found, _ = KeywordSettings.objects.get_or_create(organization=organization)
    return found


def ensure_default_keywords(organization: Organization) -> None:
    """Give an organization the default keywords if it has none (idempotent)."""
    if KeywordRule.objects.filter(organization=organization).exists():
        return
    KeywordRule.objects.bulk_create(
        [
            KeywordRule(organization=organization, kind=kind, keyword=word, language=language)
            for kind, word, language in DEFAULT_KEYWORDS
        ],
        ignore_conflicts=True,
    )


def keyword_map(organization: Organization) -> dict[str, tuple[str, str]]:
    """Normalised keyword -> (kind, keyword as configured); protected ones always present.

    One query for an organization that has its keywords (every message asks).
    """
    rules = list(
        KeywordRule.objects.filter(organization=organization).values_list("kind", "keyword")
    )
    if not rules:
        ensure_default_keywords(organization)
        rules = list(
            KeywordRule.objects.filter(organization=organization).values_list("kind", "keyword")
        )
    mapping = {normalize_text(keyword): (kind, keyword) for kind, keyword in rules}
    mapping.setdefault("STOP", (KeywordKind.OPT_OUT, "STOP"))
    mapping.setdefault("START", (KeywordKind.OPT_IN, "START"))
    mapping.setdefault("HELP", (KeywordKind.HELP, "HELP"))
    return mapping


def classify(text: str, organization: Organization) -> Classification:
    """Keyword (the whole message), possible opt-out (other words), or nothing."""
    normalized = normalize_text(text)
    found = keyword_map(organization).get(normalized)
    if found:
        return Classification(kind=found[0], keyword=found[1])
    rule = possible_opt_out_rule(normalized)
    if rule:
        return Classification(kind="possible_opt_out", rule=rule.name)
    return Classification(kind="none")


def _scope_senders(
    organization: Organization, sender: Sender, current: KeywordSettings | None = None
) -> list[Sender]:
    scope = (current or settings_for(organization)).opt_out_scope
    if scope == OptOutScope.ORGANIZATION:
        return list(organization.senders.exclude(kind="email"))
    if scope == OptOutScope.KIND:
        return list(organization.senders.filter(kind=sender.kind))
    return [sender]


@dataclass(frozen=True)
class StoredText:
    """An inbound text that is stored and not processed yet, as messaging passes it in."""

    sender_id: int
    sender_kind: str
    subscriber: str
    text: str
    received_at: dt.datetime


@dataclass(frozen=True)
class PendingOptOut:
    """Why a subscriber counts as opted out before the worker has applied the keyword."""

    keyword: str
    received_at: dt.datetime


def _covers(scope: str, text: StoredText, target: Sender) -> bool:
    """Whether a keyword to ``text``'s sender changes ``target``'s list (``_scope_senders``)."""
    if scope == OptOutScope.ORGANIZATION:
        return target.kind != "email"
    if scope == OptOutScope.KIND:
        return text.sender_kind == target.kind
    return text.sender_id == target.pk


def pending_opt_outs(
    *, organization: Organization, sender: Sender, texts: Iterable[StoredText]
) -> dict[str, PendingOptOut]:
    """The subscribers that a stored, not yet processed text opts out of ``sender``.

    The worker applies a keyword moments after it is stored; until it has, the
    dispatch guard and the suppression check ask this, so a STOP is in effect from
    the webhook's 202 whatever the worker's backlog, and while the broker is down.
    See ``pending_opt_outs_by_sender`` for the rules.
    """
    return pending_opt_outs_by_sender(organization=organization, senders=[sender], texts=texts)[
        sender.pk
    ]


def pending_opt_outs_by_sender(
    *, organization: Organization, senders: Sequence[Sender], texts: Iterable[StoredText]
) -> dict[int, dict[str, PendingOptOut]]:
    """For each of ``senders`` (by id), the subscribers a stored text opts out of it.

    The worker's rules: the organization's keywords and opt-out scope, a possible
    opt-out only where the organization opts those out automatically (on the
    sender it was sent to), and per subscriber the latest keyword that covers the
    sender wins (START after STOP lifts it). Where the worker could still decide
    otherwise it errs on the side of not sending: a stored STOP older than an
    opt-in applied already counts until it is processed (and superseded).
    Two queries (keywords, settings) when ``texts`` is not empty, none otherwise.
    """
    texts = list(texts)
    found: dict[int, dict[str, PendingOptOut]] = {sender.pk: {} for sender in senders}
    if not texts:
        return found
    keywords = keyword_map(organization)
    current = settings_for(organization)
    classified = []
    for text in texts:
        normalized = normalize_text(text.text)
        kind, keyword = keywords.get(normalized, ("", ""))
        if kind not in (KeywordKind.OPT_OUT, KeywordKind.OPT_IN):
            if not current.auto_opt_out_possible or possible_opt_out_rule(normalized) is None:
                continue
            kind, keyword = "possible_opt_out", "possible opt-out"
        classified.append((text, kind, keyword))
    for sender in senders:
        latest: dict[str, tuple[dt.datetime, str, str]] = {}
        for text, kind, keyword in classified:
            if kind == "possible_opt_out":
                if text.sender_id != sender.pk:  # opted out where it was sent only
                    continue
                kind = KeywordKind.OPT_OUT
            elif not _covers(current.opt_out_scope, text, sender):
                continue
            seen = latest.get(text.subscriber)
            if seen is None or text.received_at >= seen[0]:
                latest[text.subscriber] = (text.received_at, kind, keyword)
        found[sender.pk] = {
            subscriber: PendingOptOut(keyword=keyword, received_at=at)
            for subscriber, (at, kind, keyword) in latest.items()
            if kind == KeywordKind.OPT_OUT
        }
    return found


def reply_text(
    organization: Organization, sender: Sender, kind: str, current: KeywordSettings | None = None
) -> str:
    current = current or settings_for(organization)
    configured = getattr(current, f"{kind}_reply", "") or DEFAULT_REPLIES[kind]
    return configured.format(organization=organization.name, sender=sender.address)


def apply_keyword(
    *,
    organization: Organization,
    sender: Sender,
    subscriber: str,
    kind: str,
    keyword: str,
    text: str = "",
    received_at: dt.datetime | None = None,
    inbound_ref: str = "",
    current: KeywordSettings | None = None,
) -> KeywordEvent:
    """Apply one keyword from ``subscriber`` to ``sender``; writes its KeywordEvent.

    Opt-out adds to the blocklists in the organization's scope (source OPT-OUT);
    opt-in removes the OPT-OUT entries in that scope and keeps the ones the
    organization added itself, saying so. When an opt-out and an opt-in arrive
    out of order, the later ``received_at`` wins: an older keyword is recorded as
    superseded and changes nothing.
    """
    received_at = received_at or timezone.now()
    event = {
        "organization": organization,
        "sender": sender,
        "subscriber": subscriber,
        "kind": kind,
        "keyword": keyword,
        "text": text[:1000],
        "received_at": received_at,
        "inbound_ref": inbound_ref,
    }
    if kind == KeywordKind.HELP:
        return KeywordEvent.objects.create(**event, outcome=KeywordEvent.Outcome.ANSWERED)
    # No savepoint: nothing here catches an error and goes on (inside the inbound
    # message's transaction an error rolls the whole message back, claim included).
    with transaction.atomic(savepoint=False):
        # Serialises keywords from one subscriber to one sender, so the later
        # received_at wins whatever order two workers commit in. Keywords from other
        # numbers, and inserts that reference the sender, never wait for it.
        lock_for_transaction("keyword", sender.pk, subscriber)
        newer = (
            KeywordEvent.objects.filter(
                sender=sender,
                subscriber=subscriber,
                kind__in=[KeywordKind.OPT_OUT, KeywordKind.OPT_IN],
                received_at__gt=received_at,
            )
            .exclude(outcome=KeywordEvent.Outcome.SUPERSEDED)
            .order_by("-received_at")
            .first()
        )
        if newer is not None:
            return KeywordEvent.objects.create(
                **event,
                outcome=KeywordEvent.Outcome.SUPERSEDED,
                detail=(
                    f"{newer.keyword or newer.kind} received "
                    f"{newer.received_at:%Y-%m-%d %H:%M:%S} was applied already."
                ),
            )
        senders = _scope_senders(organization, sender, current)
        note = f"{keyword} received {received_at:%Y-%m-%d %H:%M:%S} UTC"
        if kind == KeywordKind.OPT_OUT:
            for target in senders:
                services.opt_out(sender=target, subscriber=subscriber, note=note)
            return KeywordEvent.objects.create(
                **event,
                outcome=KeywordEvent.Outcome.APPLIED,
                detail=f"Blocklisted on {', '.join(s.address for s in senders)}.",
            )
        lifted, kept = [], []
        for entry in BlocklistEntry.objects.filter(
            sender__in=senders, subscriber=subscriber
        ).select_related("sender"):
            if entry.source == Source.OPT_OUT:
                services.revert_entry(entry_id=entry.pk, sender=entry.sender, note=note)
                lifted.append(entry.sender.address)
            else:
                kept.append(f"{entry.sender.address} ({entry.get_source_display()})")
        if kept:
            outcome = KeywordEvent.Outcome.KEPT
            detail = (
                f"Lifted on {', '.join(lifted) or 'no sender'}; kept on {', '.join(kept)}: "
                "the organization added those itself, only an admin can revert them."
            )
        elif lifted:
            outcome, detail = KeywordEvent.Outcome.APPLIED, f"Lifted on {', '.join(lifted)}."
        else:
            outcome, detail = KeywordEvent.Outcome.NOTHING_TO_LIFT, "Was not opted out."
        return KeywordEvent.objects.create(**event, outcome=outcome, detail=detail)


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    current = start
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def record_possible_opt_out(
    *,
    organization: Organization,
    sender: Sender,
    subscriber: str,
    text: str,
    rule: str,
    received_at: dt.datetime | None = None,
    inbound_ref: str = "",
) -> PossibleOptOut:
    """Queue a possible opt-out for review (deadline: 10 business days after receipt),
    or opt it out at once when the organization chose to."""
    received_at = received_at or timezone.now()
    item = PossibleOptOut.objects.create(
        organization=organization,
        sender=sender,
        subscriber=subscriber,
        text=text[:1000],
        matched_rule=rule,
        received_at=received_at,
        deadline=add_business_days(received_at, REVIEW_BUSINESS_DAYS),
        inbound_ref=inbound_ref,
    )
    if settings_for(organization).auto_opt_out_possible:
        decide_possible_opt_out(item_id=item.pk, actor=None, decision="opt_out", note="automatic")
        item.refresh_from_db()
    return item


def decide_possible_opt_out(*, item_id: int, actor, decision: str, note: str = "") -> bool:
    """Opt out or dismiss a queued item; False when someone decided it already.

    The decision (who, when, what) is kept on the item; an opt-out also writes
    the blocklist's ``added`` event.
    """
    status = (
        PossibleOptOut.Status.OPTED_OUT
        if decision == "opt_out"
        else PossibleOptOut.Status.DISMISSED
    )
    with transaction.atomic():
        claimed = PossibleOptOut.objects.filter(
            pk=item_id, status=PossibleOptOut.Status.PENDING
        ).update(status=status, decided_by=actor, decided_at=timezone.now(), decision_note=note)
        if not claimed:
            return False
        if status == PossibleOptOut.Status.OPTED_OUT:
            item = PossibleOptOut.objects.select_related("sender__organization").get(pk=item_id)
            who = actor.get_username() if actor else "automatic rule"
            services.opt_out(
                sender=item.sender,
                subscriber=item.subscriber,
                note=f"possible opt-out “{item.text[:80]}” confirmed by {who}",
            )
        return True


def handle_inbound_text(
    *,
    organization: Organization,
    sender: Sender,
    subscriber: str,
    text: str,
    received_at: dt.datetime | None = None,
    inbound_ref: str = "",
) -> InboundOutcome:
    """Classify and apply one inbound text; returns the reply to send, if any.

    Called by messaging for every inbound message. A keyword that was superseded
    by a later one gets no reply (at most one confirmation per keyword).
    """
    found = classify(text, organization)
    if found.kind in (KeywordKind.OPT_OUT, KeywordKind.OPT_IN, KeywordKind.HELP):
        current = settings_for(organization)  # once: scope and reply
        event = apply_keyword(
            organization=organization,
            sender=sender,
            subscriber=subscriber,
            kind=found.kind,
            keyword=found.keyword,
            text=text,
            received_at=received_at,
            inbound_ref=inbound_ref,
            current=current,
        )
        reply = None
        if event.outcome != KeywordEvent.Outcome.SUPERSEDED:
            reply = reply_text(organization, sender, found.kind, current)
        return InboundOutcome(found.kind, found.keyword, reply, event.outcome)
    if found.kind == "possible_opt_out":
        item = record_possible_opt_out(
            organization=organization,
            sender=sender,
            subscriber=subscriber,
            text=text,
            rule=found.rule,
            received_at=received_at,
            inbound_ref=inbound_ref,
        )
        return InboundOutcome("possible_opt_out", possible_opt_out=item)
    return InboundOutcome("none")


def remove_keyword(*, rule: KeywordRule) -> None:
    """Delete a keyword of an organization; STOP, START and HELP cannot be removed."""
    if normalize_text(rule.keyword) in PROTECTED_KEYWORDS:
        raise ValueError(f"{rule.keyword} cannot be removed: carriers expect it to work.")
    rule.delete()
