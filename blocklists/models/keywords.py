"""Keyword rules, their settings and log, and the review queue of possible opt-outs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.audit import AppendOnlyModel
from accounts.models import Organization, Sender


class KeywordKind(models.TextChoices):
    OPT_OUT = "opt_out", "Opt-out"
    OPT_IN = "opt_in", "Opt-in"
    HELP = "help", "Help"


class OptOutScope(models.TextChoices):
    SENDER = "sender", "The sender it was sent to"
    KIND = "kind", "Every sender of the same kind"
    ORGANIZATION = "organization", "Every sender of the organization"


class KeywordSettings(models.Model):
    """An organization's choices for keywords: scope, replies, possible opt-outs."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="keyword_settings"
    )
    opt_out_scope = models.CharField(
        max_length=20, choices=OptOutScope.choices, default=OptOutScope.SENDER
    )
    auto_opt_out_possible = models.BooleanField(
        "opt out possible opt-outs automatically",
        default=False,
        help_text="Otherwise they wait in the review queue for a supervisor.",
    )
    opt_out_reply = models.TextField(blank=True)
    opt_in_reply = models.TextField(blank=True)
    help_reply = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Keyword settings of {self.organization}"


class KeywordRule(models.Model):
    """One keyword of an organization; STOP, START and HELP cannot be removed."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="keyword_rules"
    )
    kind = models.CharField(max_length=10, choices=KeywordKind.choices)
    keyword = models.CharField(max_length=40)
    language = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["kind", "keyword"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "keyword"], name="keyword_unique")
        ]

    def __str__(self) -> str:
        return f"{self.keyword} ({self.get_kind_display()})"


class KeywordEvent(AppendOnlyModel):
    """Append-only: each keyword received, what it did, and the inbound message behind it.

    Also the memory for ordering: a keyword older than the last one applied for the
    same sender and subscriber does not undo it.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        SUPERSEDED = "superseded", "Older than a keyword already applied: ignored"
        NOTHING_TO_LIFT = "nothing_to_lift", "Nothing to lift"
        KEPT = "kept", "Applied; entries the organization added itself were kept"
        ANSWERED = "answered", "Answered"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    sender = models.ForeignKey(
        Sender, on_delete=models.SET_NULL, null=True, related_name="+", db_constraint=False
    )
    subscriber = models.CharField(max_length=254)
    kind = models.CharField(max_length=10, choices=KeywordKind.choices)
    keyword = models.CharField(max_length=40, blank=True)
    text = models.CharField(max_length=1000, blank=True)
    received_at = models.DateTimeField()
    inbound_ref = models.CharField("inbound message", max_length=100, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["sender", "subscriber", "-received_at"], name="keyword_event_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.keyword or self.kind} from {self.subscriber}"


class PossibleOptOut(models.Model):
    """A message that asks to stop in other words, waiting for a supervisor's decision."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        OPTED_OUT = "opted_out", "Opted out"
        DISMISSED = "dismissed", "Dismissed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(Sender, on_delete=models.CASCADE, related_name="+")
    subscriber = models.CharField(max_length=254)
    text = models.CharField(max_length=1000)
    matched_rule = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField()
    deadline = models.DateTimeField()
    inbound_ref = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(fields=["organization", "status", "deadline"], name="possible_queue_idx")
        ]

    def __str__(self) -> str:
        return f"Possible opt-out from {self.subscriber}"
