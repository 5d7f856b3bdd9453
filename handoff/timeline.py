"""One number's whole story, newest first: the page an agent keeps open on a call.

Each source is one query bounded by ``limit`` (messages, keyword events,
blocklist events, interception events) plus the contact with its tickets; the
entries are merged in Python by time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from accounts.access import Actor
from accounts.columns import local_time, url_for_each
from blocklists.interceptions import interceptions_for
from blocklists.models import (
    BlocklistEntry,
    BlocklistEvent,
    InterceptionEvent,
    InterceptionScope,
    KeywordEvent,
)
from contacts.models import Contact
from messaging.models import Message

LIMIT = 200
# What the page's badge says for each kind of item (it said "Messagein" and
# "Messageout": the kind without its underscore).
KIND_LABELS = {
    "message_in": "Received",
    "message_out": "Sent",
    "keyword": "Keyword",
    "blocklist": "Blocklist",
    "interception": "Interception",
}
# The messages' fields the timeline reads: not their logs, variables or batch.
MESSAGE_FIELDS = (
    "requested_at",
    "direction",
    "sender__address",
    "text",
    "status",
    "failure_code",
    "failure_category",
)


@dataclass
class TimelineItem:
    at: dt.datetime
    kind: str  # message_in, message_out, keyword, blocklist, interception
    title: str
    detail: str = ""
    link: str = ""
    badge: str = "secondary"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def when(self) -> str:
        """The time in the viewer's zone, as the page shows it."""
        return local_time(self.at, "Y-m-d H:i:s T")


@dataclass
class Timeline:
    number: str
    items: list[TimelineItem] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    blocked_on: list[BlocklistEntry] = field(default_factory=list)
    intercepted: list = field(default_factory=list)
    truncated: bool = False


def _interception_scope(actor: Actor) -> Q:
    if actor.is_platform_staff:
        return Q()
    own = actor.organization.pk if actor.organization else None
    return Q(scope=InterceptionScope.GLOBAL) | Q(organization_id=own)


def number_timeline(actor: Actor, number: str, *, limit: int = LIMIT) -> Timeline:
    """Messages in and out, keywords, blocklist adds/reverts, interceptions, contact."""
    timeline = Timeline(number=number)
    messages = list(
        actor.scope(Message.objects.filter(subscriber=number))
        .select_related("sender")
        .only(*MESSAGE_FIELDS)
        .order_by("-requested_at", "-id")[:limit]
    )
    for m in messages:
        inbound = m.direction == "inbound"
        timeline.items.append(
            TimelineItem(
                at=m.requested_at,
                kind="message_in" if inbound else "message_out",
                title=(
                    f"Received on {m.sender.address}"
                    if inbound
                    else f"Sent from {m.sender.address}"
                ),
                detail=(
                    f"“{m.text[:120]}” · {m.get_status_display()}"
                    + (f" · {m.failure_meaning}" if m.failure_code or m.failure_category else "")
                ),
                link=url_for_each("messaging:message", m.pk),
                badge="info"
                if inbound
                else (
                    "success"
                    if m.status == "delivered"
                    else "danger"
                    if m.status in ("send_failed", "process_failed", "error")
                    else "secondary"
                ),
            )
        )
    keyword_events = list(
        actor.scope(KeywordEvent.objects.filter(subscriber=number))
        .select_related("sender")
        .order_by("-received_at")[:limit]
    )
    for k in keyword_events:
        to = k.sender.address if k.sender else "—"
        timeline.items.append(
            TimelineItem(
                at=k.received_at,
                kind="keyword",
                title=f"{k.keyword or k.get_kind_display()} to {to}",
                detail=f"{k.get_outcome_display()}. {k.detail}".strip(),
                badge="warning",
            )
        )
    blocklist_events = list(
        actor.scope(BlocklistEvent.objects.filter(subscriber=number))
        .select_related("consent")
        .order_by("-created_at")[:limit]
    )
    for b in blocklist_events:
        who = b.actor_name or "system"
        consent = f" · consent v{b.consent.version}" if b.consent else ""
        timeline.items.append(
            TimelineItem(
                at=b.created_at,
                kind="blocklist",
                title=f"{b.get_action_display()} {'to' if b.action == 'added' else 'from'} the "
                f"blocklist of {b.sender_address}",
                detail=f"{b.get_reason_display()} · {b.get_source_display()} · by {who}{consent}"
                + (f" · {b.note}" if b.note else ""),
                badge="danger" if b.action == "added" else "success",
            )
        )
    interception_events = list(
        InterceptionEvent.objects.filter(_interception_scope(actor), number=number).order_by(
            "-created_at"
        )[:limit]
    )
    for i in interception_events:
        timeline.items.append(
            TimelineItem(
                at=i.created_at,
                kind="interception",
                title=f"Interception {i.get_action_display().lower()} ({i.get_scope_display()}, "
                f"code {i.code} {i.reason})",
                detail=f"expires {i.expires_at:%Y-%m-%d %H:%M} UTC"
                + (f" · by {i.actor_name}" if i.actor_name else ""),
                badge="warning",
            )
        )
    timeline.items.sort(key=lambda item: item.at, reverse=True)
    timeline.truncated = len(timeline.items) > limit
    timeline.items = timeline.items[:limit]
    timeline.contacts = list(
        actor.scope(
            Contact.objects.filter(Q(phone=number) | Q(email=number) | Q(whatsapp=number))
        ).prefetch_related("tickets")
    )
    timeline.blocked_on = list(
        actor.scope(
            BlocklistEntry.objects.of_subscribers(number).select_related("sender"),
            "sender__organization",
        )
    )
    timeline.intercepted = interceptions_for(organization=actor.organization, number=number)
    return timeline
