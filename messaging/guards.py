"""The six checks every outbound message passes at dispatch, set-based for a whole batch.

In this order, the first that stops a message sets its status:

1. allowed sending hours of the subaccount (``blocked_time``);
2. interceptions: global (``global_block``), local to the organization (``partial_block``);
3. the sender's blocklist (``unsubscribe``), and an opt-out keyword stored but
   not yet applied by the worker (``unsubscribe`` too: a STOP counts from its 202);
4. words not allowed: the platform's terms and link domains, minus the ones
   cleared for this organization (``keyword_block``);
5. template variables without a value (``variable_error``); empty text, text
   over the channel's limit, characters the channel cannot carry (``content_error``);
6. the subaccount's frequency limit for the number (``frequency_overrun``).

A keyword confirmation (batch trigger ``keyword``: the one reply to STOP, START,
HELP ...) skips 3 and 4 only; see ``check_messages``.

Queries for a batch of N numbers: one per 10,000 numbers for interceptions,
blocklist, stored opt-outs and frequency, plus two for the word lists (and two
for the keywords when an opt-out is pending); none per message.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from accounts.models import Organization, Sender, SenderKind, Subaccount
from blocklists.interceptions import active_interceptions_among
from blocklists.keywords import PendingOptOut
from blocklists.models import InterceptionScope
from blocklists.services import blocklisted_among
from messaging.models import (
    Batch,
    ClearedTerm,
    Direction,
    Message,
    ProhibitedTerm,
    TermKind,
    Trigger,
)
from messaging.selectors import pending_opt_outs_among
from messaging.statuses import FailureCategory, MessageStatus

CHUNK = 10_000
VARIABLE = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")
SMS_KINDS = {SenderKind.SMS_SHORT_CODE, SenderKind.SMS_LONG_CODE}
# Characters per channel; SMS is also held to 10 segments (concatenated SMS rarely
# survive beyond that on every operator).
TEXT_LIMITS = {
    SenderKind.SMS_SHORT_CODE: 1_600,
    SenderKind.SMS_LONG_CODE: 1_600,
    SenderKind.WHATSAPP: 4_096,
    SenderKind.RCS: 3_072,
    SenderKind.EMAIL: 100_000,
}
MAX_SMS_SEGMENTS = 10
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
ALLOWED_CONTROLS = {"\n", "\r", "\t"}


@dataclass(frozen=True)
class Candidate:
    """What the guards need of one message."""

    id: int
    subscriber: str
    text: str
    variables: dict


@dataclass(frozen=True)
class Verdict:
    """A message's fate: ``sending`` with its rendered text, or the status that stopped it."""

    status: str
    category: str = ""
    detail: str = ""
    segments: int = 0

    @property
    def passed(self) -> bool:
        return self.status == MessageStatus.SENDING


def render(text: str, variables: dict) -> tuple[str, list[str]]:
    """The text with ``{{name}}`` filled in, and the names that had no value."""
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        value = (variables or {}).get(match.group(1))
        if value is None or value == "":
            missing.append(match.group(1))
            return match.group(0)
        return str(value)

    return VARIABLE.sub(fill, text or ""), missing


def sms_segments(text: str) -> int:
    """SMS parts: GSM-7 160/153 characters, otherwise UCS-2 70/67 code units."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        units = len(text) + sum(1 for c in text if c in GSM7_EXTENSION)
        return 1 if units <= 160 else math.ceil(units / 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if units <= 70 else math.ceil(units / 67)


def content_problem(text: str, channel: str) -> tuple[str | None, int]:
    """Why the channel cannot carry ``text`` (or None), and its segment count."""
    if not text.strip():
        return "The text is empty.", 0
    limit = TEXT_LIMITS.get(channel, 1_600)
    if len(text) > limit:
        return f"The text has {len(text)} characters; this channel allows {limit}.", 0
    for char in text:
        if char in ALLOWED_CONTROLS:
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or char == "\ufffd":
            return f"The text holds a character the channel cannot carry (U+{ord(char):04X}).", 0
    if channel in SMS_KINDS:
        segments = sms_segments(text)
        if segments > MAX_SMS_SEGMENTS:
            return f"The text needs {segments} SMS parts; at most {MAX_SMS_SEGMENTS}.", 0
        return None, segments
    return None, 1


class WordFilter:
    """The platform's words and link domains not allowed, minus those cleared for one org."""

    def __init__(self, organization: Organization) -> None:
        cleared = set(
            ClearedTerm.objects.filter(organization=organization).values_list("term", flat=True)
        )
        words, domains = [], []
        for term, kind in ProhibitedTerm.objects.values_list("term", "kind"):
            if term in cleared:
                continue
            (domains if kind == TermKind.DOMAIN else words).append(term)
        parts = [rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(words, key=len, reverse=True)]
        # A domain matches itself and its subdomains, with or without a scheme.
        parts += [
            rf"(?<![\w.-])(?:[\w-]+\.)*{re.escape(d)}(?![\w-]|\.\w)"
            for d in sorted(domains, key=len, reverse=True)
        ]
        self.pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self._seen: dict[str, str | None] = {}

    def first_match(self, text: str) -> str | None:
        if self.pattern is None:
            return None
        if text not in self._seen:
            match = self.pattern.search(text)
            self._seen[text] = match.group(0).lower() if match else None
        return self._seen[text]


def _chunks(items: Sequence, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def frequency_counts(
    *, subaccount: Subaccount, subscribers: Sequence[str], since: dt.datetime
) -> dict[str, int]:
    """Outbound messages the subaccount sent each number since ``since``: one query per 10,000."""
    counts: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(subscribers))):
        rows = (
            Message.objects.filter(
                subaccount=subaccount,
                direction=Direction.OUTBOUND,
                subscriber__in=chunk,
                sent_at__gte=since,
            )
            .values("subscriber")
            .annotate(n=Count("id"))
            .values_list("subscriber", "n")
        )
        counts.update(rows)
    return counts


def check_messages(
    *,
    organization: Organization,
    sender: Sender,
    subaccount: Subaccount | None,
    candidates: Sequence[Candidate],
    now: dt.datetime,
    keyword_confirmation: bool = False,
) -> dict[int, Verdict]:
    """Run the six guards over ``candidates``; a verdict per candidate id.

    Read-only: the caller writes the statuses. A ``keyword_confirmation`` (the
    one reply to STOP, START, HELP ...) skips the blocklist (3) and the words
    not allowed (4): the STOP it confirms has just blocklisted the number, and
    the texts are the organization's own keyword replies. Hours,
    interceptions, content and frequency still apply.
    """
    verdicts: dict[int, Verdict] = {}
    remaining = list(candidates)

    # 1. Allowed sending hours: one answer for the whole batch at ``now``.
    if subaccount is not None and not subaccount.allows_sending_at(now):
        detail = f"Outside the allowed sending hours of {subaccount.name}."
        return {c.id: Verdict(MessageStatus.BLOCKED_TIME, "", detail) for c in remaining}

    # 2. Interceptions (phone numbers only).
    if sender.kind != SenderKind.EMAIL and remaining:
        intercepted = active_interceptions_among(
            organization=organization, numbers=[c.subscriber for c in remaining], at=now
        )
        kept = []
        for c in remaining:
            found = intercepted.get(c.subscriber)
            if found is None:
                kept.append(c)
                continue
            is_global = found.scope == InterceptionScope.GLOBAL
            verdicts[c.id] = Verdict(
                MessageStatus.PROCESS_FAILED,
                FailureCategory.GLOBAL_BLOCK if is_global else FailureCategory.PARTIAL_BLOCK,
                f"{'Global' if is_global else 'Local'} interception (code {found.code}).",
            )
        remaining = kept

    # 3. The sender's blocklist, and opt-outs stored that the worker has not applied yet.
    if remaining and not keyword_confirmation:
        opted_out = opted_out_among(sender, [c.subscriber for c in remaining], organization)
        for c in remaining:
            if c.subscriber not in opted_out:
                continue
            found = opted_out[c.subscriber]
            detail = (
                f"On the blocklist of {sender.address}."
                if found is None
                else f"Opted out: {found.keyword} received {found.received_at:%Y-%m-%d %H:%M:%S} "
                f"UTC, being added to the blocklist of {sender.address}."
            )
            verdicts[c.id] = Verdict(
                MessageStatus.PROCESS_FAILED, FailureCategory.UNSUBSCRIBE, detail
            )
        remaining = [c for c in remaining if c.id not in verdicts]

    # 4 and 5. Words not allowed, then variables and content, on the rendered text.
    words = WordFilter(organization) if remaining and not keyword_confirmation else None
    segments: dict[int, int] = {}
    kept = []
    for c in remaining:
        text, missing = render(c.text, c.variables)
        word = words.first_match(text) if words is not None else None
        if word:
            verdicts[c.id] = Verdict(
                MessageStatus.PROCESS_FAILED,
                FailureCategory.KEYWORD_BLOCK,
                f"“{word}” is not allowed.",
            )
            continue
        if missing:
            verdicts[c.id] = Verdict(
                MessageStatus.PROCESS_FAILED,
                FailureCategory.VARIABLE_ERROR,
                "No value for " + ", ".join(f"{{{{{name}}}}}" for name in missing) + ".",
            )
            continue
        problem, parts = content_problem(text, sender.kind)
        if problem:
            verdicts[c.id] = Verdict(
                MessageStatus.PROCESS_FAILED, FailureCategory.CONTENT_ERROR, problem
            )
            continue
        segments[c.id] = parts
        kept.append(c)
    remaining = kept

    # 6. Frequency limit of the subaccount for each number, counting this batch too.
    window = subaccount.frequency_window if subaccount is not None else None
    limit = subaccount.frequency_limit_messages if subaccount is not None else None
    if remaining and window is not None and limit is not None:
        counts = frequency_counts(
            subaccount=subaccount, subscribers=[c.subscriber for c in remaining], since=now - window
        )
        detail = f"Over {limit} messages in {subaccount.frequency_limit_hours} h to this number."
        kept = []
        for c in remaining:
            sent = counts.get(c.subscriber, 0)
            if sent >= limit:
                verdicts[c.id] = Verdict(
                    MessageStatus.PROCESS_FAILED, FailureCategory.FREQUENCY_OVERRUN, detail
                )
                continue
            counts[c.subscriber] = sent + 1
            kept.append(c)
        remaining = kept

    for c in remaining:
        verdicts[c.id] = Verdict(MessageStatus.SENDING, "", "Passed the checks.", segments[c.id])
    return verdicts


def opted_out_since_checked(messages: Sequence[Message]) -> dict[int, str]:
    """The last look before the gateway: messages whose number was blocklisted, or
    whose opt-out was stored, after the guards passed them; each with its detail.

    A campaign's last chunk reaches the gateway seconds to minutes after its
    dispatch (longer behind a queue), and a STOP, an import or an admin's add in
    between must hold it back too. Keyword confirmations are exempt, as in
    ``check_messages``. Per sender in the chunk: one blocklist query and one for
    stored opt-outs; one more for the batches' triggers. ``message.sender`` must be
    loaded.
    """
    triggers = dict(
        Batch.objects.filter(pk__in={m.batch_id for m in messages if m.batch_id}).values_list(
            "pk", "trigger"
        )
    )
    by_sender: dict[int, list[Message]] = {}
    for message in messages:
        if triggers.get(message.batch_id) != Trigger.KEYWORD:
            by_sender.setdefault(message.sender_id, []).append(message)
    stopped: dict[int, str] = {}
    for group in by_sender.values():
        sender = group[0].sender
        opted_out = opted_out_among(sender, [m.subscriber for m in group], sender.organization)
        for message in group:
            if message.subscriber not in opted_out:
                continue
            found = opted_out[message.subscriber]
            stopped[message.pk] = (
                f"Added to the blocklist of {sender.address} after the checks: "
                "not handed to the channel."
                if found is None
                else f"Opted out after the checks: {found.keyword} received "
                f"{found.received_at:%Y-%m-%d %H:%M:%S} UTC; not handed to the channel."
            )
    return stopped


def opted_out_among(
    sender: Sender, numbers: Sequence[str], organization: Organization
) -> dict[str, PendingOptOut | None]:
    """The numbers ``sender`` may not message: on its blocklist (None), or opted out by
    a stored text no worker has applied yet (why). Two queries per 10,000 numbers
    (the listed ones are not asked again)."""
    listed = blocklisted_among(sender, numbers)
    found: dict[str, PendingOptOut | None] = dict.fromkeys(listed)
    found.update(
        pending_opt_outs_among(sender, [n for n in numbers if n not in listed], organization)
    )
    return found
