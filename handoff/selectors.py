"""Read-only lookups for the support pages, over the apps below."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from accounts.access import Actor
from accounts.models import Sender
from accounts.normalization import normalize_email, normalize_phone
from blocklists.interceptions import interceptions_for
from blocklists.keywords import PendingOptOut
from blocklists.models import BlocklistEntry, Interception
from messaging.selectors import pending_opt_outs_of


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
class PendingBlock:
    """An opt-out that is stored and in effect, but not yet on the sender's list."""

    sender: Sender
    opt_out: PendingOptOut


@dataclass
class BlockStatus:
    entries: list[BlocklistEntry] = field(default_factory=list)
    interceptions: list[Interception] = field(default_factory=list)
    clear_senders: list[Sender] = field(default_factory=list)
    pending: list[PendingBlock] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.entries or self.interceptions or self.pending)

    @property
    def blocked_senders(self) -> int:
        return len(self.entries) + len(self.pending)


def block_status(actor: Actor, value: str) -> BlockStatus:
    """Where ``value`` is blocked for the actor's organization: blocklists and interceptions.

    Three queries (entries by subscriber, interceptions by number, opt-outs stored and
    not yet applied) plus the sender list; two more when such an opt-out is found.
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
    pending = []
    if actor.organization is not None and "@" not in value:
        stored = pending_opt_outs_of(
            actor.organization, value, [s for s in senders if s.pk not in blocked_ids]
        )
        pending = [PendingBlock(s, stored[s.pk]) for s in senders if s.pk in stored]
        blocked_ids |= set(stored)
    clear = [s for s in senders if s.pk not in blocked_ids]
    return BlockStatus(
        entries=entries, interceptions=interceptions, clear_senders=clear, pending=pending
    )
