"""Batches and messages, and the platform's list of words not allowed."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from accounts.models import Organization, Sender, SenderKind, Subaccount
from messaging.statuses import (
    BatchStatus,
    FailureCategory,
    FailureCode,
    MessageStatus,
    failure_meaning,
    status_meaning,
)


def new_batch_id() -> str:
    """A short id people can read out on the phone: ``B`` and 10 letters/digits."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "B" + "".join(secrets.choice(alphabet) for _ in range(10))


class Trigger(models.TextChoices):
    FORM = "form", "Form"
    API = "api", "API"
    FILE = "file", "File"
    # The one confirmation a keyword (STOP, START, HELP ...) answers with.
    KEYWORD = "keyword", "Keyword reply"


class Direction(models.TextChoices):
    OUTBOUND = "outbound", "Outbound"
    INBOUND = "inbound", "Inbound"


class InboundKind(models.TextChoices):
    """What an inbound message turned out to be (set when it is processed)."""

    OPT_OUT = "opt_out", "Opt-out keyword"
    OPT_IN = "opt_in", "Opt-in keyword"
    HELP = "help", "Help keyword"
    POSSIBLE_OPT_OUT = "possible_opt_out", "Possible opt-out (review queue)"
    NONE = "none", "Not a keyword"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"


class Batch(models.Model):
    """One trigger of sends (form, API or file); its status is derived from its messages."""

    public_id = models.CharField("batch id", max_length=16, unique=True, default=new_batch_id)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    subaccount = models.ForeignKey(
        Subaccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.ForeignKey(Sender, on_delete=models.CASCADE, related_name="batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    file_name = models.CharField(max_length=255, blank=True)
    template = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=100, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the one worker that claims the batch (conditional UPDATE).
    dispatched_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=BatchStatus.choices)
    message_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "batches"
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="batch_org_created_idx"),
            # Platform staff list every organization's batches newest first: without it
            # each visit sorted them all (369 ms at 361,781).
            models.Index(fields=["-created_at", "-id"], name="batch_recent_idx"),
            # The File name filter: the few batches sent from a file, not all (a
            # substring search read all 361,781 batches twice: 145-204 ms).
            models.Index(
                fields=["organization", "-created_at", "-id"],
                condition=~Q(file_name=""),
                name="batch_from_file_idx",
            ),
            # Beat looks for programmed batches that are due.
            models.Index(fields=["status", "scheduled_at"], name="batch_due_idx"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def can_cancel(self) -> bool:
        return self.status == BatchStatus.PROGRAMMED


def newest_by_upper(field: str, direction: str, name: str) -> models.Index:
    """An organization's messages of one direction by ``UPPER(field)``, newest first:
    what an ``iexact`` filter on ``field`` reads, one page at a time.

    Partial: only messages whose ``field`` is not empty. The filters repeat that
    condition (``handoff.status.with_template_or_label``), or PostgreSQL cannot use it.
    The id comes last because a batch's messages share its request time: the pages
    order by ``-requested_at, -id``, and without it read a whole batch to sort it.
    """
    return models.Index(
        F("organization"),
        Upper(field),
        F("requested_at").desc(),
        F("id").desc(),
        condition=Q(direction=direction) & ~Q(**{field: ""}),
        name=name,
    )


class Message(models.Model):
    """One message to or from a customer, with its send log (``status_log``).

    ``status_log`` is a list of ``{"at", "status", "detail"}``: every
    transition, oldest first. ``sent_at`` is when it left the checks for the
    channel (and then when the channel accepted it); the frequency guard
    counts by it.
    """

    # No single-column indexes on organization, sender and batch: the composite
    # indexes below lead with them and serve the same lookups (and the cascades);
    # every INSERT and every status UPDATE of a message paid for three more.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subaccount = models.ForeignKey(
        Subaccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sender = models.ForeignKey(
        Sender, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    batch = models.ForeignKey(
        Batch,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
    )
    direction = models.CharField(
        max_length=10, choices=Direction.choices, default=Direction.OUTBOUND
    )
    channel = models.CharField(max_length=20, choices=SenderKind.choices)
    subscriber = models.CharField("customer number", max_length=254)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    text = models.TextField(blank=True)
    template = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=100, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    failure_code = models.PositiveSmallIntegerField(
        choices=FailureCode.choices, null=True, blank=True
    )
    failure_category = models.CharField(max_length=20, choices=FailureCategory.choices, blank=True)
    provider_message_id = models.CharField(max_length=100, null=True, blank=True)
    segments = models.PositiveSmallIntegerField(default=0)
    requested_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    receipt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()
    status_log = models.JSONField(default=list, blank=True)
    # Inbound only. ``requested_at`` is when the channel received the message.
    # ``processed_at`` is set by the one worker that claims it (conditional UPDATE).
    processed_at = models.DateTimeField(null=True, blank=True)
    # Outbound: when a worker claimed the message for its gateway (see send_messages).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    keyword_kind = models.CharField(
        max_length=20, choices=InboundKind.choices, blank=True, default=""
    )
    keyword = models.CharField(max_length=50, blank=True, default="")
    keyword_outcome = models.CharField(max_length=20, blank=True, default="")
    ticket = models.ForeignKey(
        "contacts.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Inbound only, set when the worker processes it: the template and label of the
    # last message we sent that number from that sender before it arrived ("" when
    # it had none, None when we never sent one), for SMS Replies' filters.
    replied_template = models.CharField(max_length=100, null=True, blank=True)
    replied_label = models.CharField(max_length=100, null=True, blank=True)
    # Outbound only: the inbound message a keyword confirmation answers.
    in_reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "provider_message_id"],
                condition=Q(provider_message_id__isnull=False),
                name="message_unique_provider_id",
            )
        ]
        indexes = [
            # Support searches by number; the frequency guard counts by number and time.
            # The organization rides along (INCLUDE): counting a search's matches up to
            # the sort limit reads the index alone, not a heap page per match (a prefix
            # of 100,000 matches: 89 -> 3 ms). SQLite leaves it out (models.W040).
            models.Index(
                fields=["subscriber", "sent_at"],
                include=["organization"],
                name="message_subscriber_org_idx",
            ),
            # Lists are newest first, ties by id: every message of a batch has the
            # batch's request time, so without the id a page sorted the whole newest
            # batch first (15 ms per 30,000 messages; see newest_by_upper).
            models.Index(
                fields=["organization", "-requested_at", "-id"], name="message_org_newest_idx"
            ),
            models.Index(
                fields=["sender", "-requested_at", "-id"], name="message_sender_newest_idx"
            ),
            # Platform staff list every organization's messages newest first: without
            # it each such page sorted all of them (4.7 s at 10M messages).
            models.Index(fields=["-requested_at", "-id"], name="message_recent_idx"),
            # Receipts arrive with the provider's id only.
            models.Index(fields=["provider_message_id"], name="message_provider_id_idx"),
            models.Index(fields=["batch", "status"], name="message_batch_status_idx"),
            # SMS Replies lists an organization's inbound messages, newest first.
            models.Index(
                fields=["organization", "-requested_at", "-id"],
                condition=Q(direction="inbound"),
                name="message_org_inbound_newest_idx",
            ),
            # SMS Status by template or label, SMS Replies by the template or label
            # replied to: newest first, matched in any case (see newest_by_upper).
            newest_by_upper("template", "outbound", "message_org_tpl_newest_idx"),
            newest_by_upper("label", "outbound", "message_org_label_newest_idx"),
            newest_by_upper("replied_template", "inbound", "message_replied_tpl_newest_idx"),
            newest_by_upper("replied_label", "inbound", "message_replied_lbl_newest_idx"),
            # Beat re-queues inbound messages no worker processed (small: only pending rows).
            models.Index(
                fields=["updated_at"],
                condition=Q(direction="inbound", processed_at__isnull=True),
                name="message_inbound_pending_idx",
            ),
            # Beat re-queues messages left ``sending`` by a lost task (only rows in flight).
            models.Index(
                fields=["updated_at"],
                condition=Q(status="sending"),
                name="message_sending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} {self.status}"

    @property
    def status_meaning(self) -> str:
        return status_meaning(self.status)

    @property
    def failure_meaning(self) -> str:
        return failure_meaning(self.failure_code, self.failure_category)


class TermKind(models.TextChoices):
    WORD = "word", "Word or phrase"
    DOMAIN = "domain", "Link domain"


class ProhibitedTerm(models.Model):
    """A word, phrase or link domain no organization may send (kept by platform staff)."""

    term = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10, choices=TermKind.choices, default=TermKind.WORD)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["term"]

    def __str__(self) -> str:
        return self.term

    def save(self, *args, **kwargs):
        self.term = self.term.strip().lower()
        super().save(*args, **kwargs)


class ClearedTerm(models.Model):
    """A prohibited term that support cleared for one organization: it passes there only."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=200)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "term"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "term"], name="cleared_term_unique")
        ]

    def __str__(self) -> str:
        return f"{self.term} cleared for {self.organization}"

    def save(self, *args, **kwargs):
        self.term = self.term.strip().lower()
        super().save(*args, **kwargs)


class MessageCount(models.Model):
    """How many messages an organization has per hour requested, direction, channel and
    status: what the SMS Status summary and the Handoff home count, without scanning
    millions of messages.

    Database triggers on the messages table keep it (migration 0004): every insert,
    status change and delete adds a row of +n or -n, in the same transaction as the
    change, so the sums are always exact. Beat folds those rows into one per key
    (``messaging.counts.compact``); readers always ``SUM(n)``. There is no foreign
    key: an organization's deletion deletes its messages, whose -n rows follow.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    hour = models.DateTimeField()  # requested_at truncated to the hour, UTC
    direction = models.CharField(max_length=10, choices=Direction.choices)
    channel = models.CharField(max_length=20, choices=SenderKind.choices)
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    n = models.IntegerField()
    # False for the rows the triggers add; compaction writes settled rows.
    settled = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "hour"], name="message_count_org_hour_idx"),
            models.Index(fields=["id"], condition=Q(settled=False), name="message_count_new_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.channel} {self.status}: {self.n}"


class TemplateCount(models.Model):
    """How many outbound messages an organization has per hour requested, channel,
    status, template and label: what SMS Status counts when it is filtered by template
    or label (a scan of the matching messages took seconds at 10M messages).

    Kept like ``MessageCount``, by triggers on the messages table (migration 0006), and
    folded by the same beat task. Only messages with a template or a label are counted.
    ``template`` and ``label`` are the database's ``UPPER()`` of the message's: the
    pages match them case-insensitively (``iexact``), so readers compare with
    ``UPPER()`` of what was typed.
    """

    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    hour = models.DateTimeField()  # requested_at truncated to the hour, UTC
    channel = models.CharField(max_length=20, choices=SenderKind.choices)
    status = models.CharField(max_length=20, choices=MessageStatus.choices)
    template = models.CharField(max_length=100, blank=True)
    label = models.CharField(max_length=100, blank=True)
    n = models.IntegerField()
    settled = models.BooleanField(default=False)

    class Meta:
        # Covering: the page's sums read the index alone (index-only scan, 25 -> 14 ms
        # for one of 5 templates over 30 days at 10M messages).
        indexes = [
            models.Index(
                fields=["organization", "template", "hour"],
                include=["label", "channel", "status", "n"],
                name="template_count_template_idx",
            ),
            models.Index(
                fields=["organization", "label", "hour"],
                include=["template", "channel", "status", "n"],
                name="template_count_label_idx",
            ),
            models.Index(fields=["id"], condition=Q(settled=False), name="template_count_new_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.template}/{self.label} {self.status}: {self.n}"
