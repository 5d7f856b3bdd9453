"""Read-only lookups for the support pages, over the apps below."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.access import Actor
from accounts.models import Sender
from accounts.normalization import normalize_email, normalize_phone
from blocklists.interceptions import interceptions_for
from blocklists.models import BlocklistEntry, Interception


@dataclass
class NumberLookup:
    """What a person typed, what it means, or why it cannot be a number."""

    typed: str
    value: str | None = None
    problem: str | None = None

    @property
    def is_email(self) -> bool:
        return bool(self.value and "@" in self.value)


def read_number(typed: str, country: str) -> NumberLookup:
    """Normalise a customer number (or email) typed in any format."""
    typed = (typed or "").strip()
    if not typed:
        return NumberLookup(typed)
    try:
        if "@" in typed:
            return NumberLookup(typed, normalize_email(typed))
        return NumberLookup(typed, normalize_phone(typed, country))
    except ValidationError as exc:
        # The normaliser's own message already says what is wrong and what to try.
        return NumberLookup(typed, problem=exc.messages[0])


@dataclass
class BlockStatus:
    entries: list[BlocklistEntry] = field(default_factory=list)
    interceptions: list[Interception] = field(default_factory=list)
    clear_senders: list[Sender] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.entries or self.interceptions)


def block_status(actor: Actor, value: str) -> BlockStatus:
    """Where ``value`` is blocked for the actor's organization: blocklists and interceptions.

    Two queries (entries by subscriber, interceptions by number) plus the sender list.
    """
    senders = list(actor.scope(Sender.objects.all()).order_by("kind", "address"))
    entries = list(
        actor.scope(
            BlocklistEntry.objects.of_subscribers(value).select_related("sender", "added_by"),
            "sender__organization",
        ).order_by("sender__kind", "sender__address")
    )
    interceptions = (
        [] if "@" in value else interceptions_for(organization=actor.organization, number=value)
    )
    blocked_ids = {entry.sender_id for entry in entries}
    clear = [s for s in senders if s.pk not in blocked_ids]
    return BlockStatus(entries=entries, interceptions=interceptions, clear_senders=clear)
