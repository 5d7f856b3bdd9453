"""Per-sender blocklists, their append-only event log and the consent texts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.audit import AppendOnlyModel
from accounts.models import Organization, Sender


class Reason(models.TextChoices):
    LIST_CLEANUP = "list_cleanup", "List Cleanup"
    SUBSCRIBER_COMPLAINT = "subscriber_complaint", "Subscriber Complaint"
    SUPPORT_REQUEST = "support_request", "Support Request"
    NOT_DEFINED = "not_defined", "Not Defined"
    SUSPECTED_FRAUD = "suspected_fraud", "Suspected Fraud"


class Source(models.TextChoices):
    CSV = "csv", "CSV"
    MANUAL = "manual", "MAN"
    OPT_OUT = "opt_out", "OPT-OUT"
    EMAIL_SERVER = "email_server", "EMAIL SERVER"
    NOT_DEFINED = "not_defined", "NOT DEFINED"


class ConsentText(models.Model):
    """The wording a person confirms before adding or reverting; versioned, never edited."""

    class Purpose(models.TextChoices):
        ADD = "add", "Add to blocklist"
        REVERT = "revert", "Revert (subscriber consents again)"

    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    version = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="consent_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"

    @classmethod
    def current(cls, purpose: str) -> ConsentText:
        """The newest version; the default wording is written if none exists yet."""
        text = cls.objects.filter(purpose=purpose).order_by("-version").first()
        if text is None:
            from blocklists.consent import DEFAULT_TEXTS

            text, _ = cls.objects.get_or_create(
                purpose=purpose, version=1, defaults={"text": DEFAULT_TEXTS[purpose]}
            )
        return text


class BlocklistEntryQuerySet(models.QuerySet):
    def for_sender(self, sender: Sender) -> BlocklistEntryQuerySet:
        return self.filter(sender=sender)

    def of_subscribers(self, *subscribers: str) -> BlocklistEntryQuerySet:
        """These subscribers' entries on any sender ("is this number blocked anywhere?").

        The join with the senders lets PostgreSQL probe the unique (sender, subscriber)
        index once per sender (0.1 ms for an organization's senders at millions of
        rows); there is no index on the subscriber alone (see Meta), so without the
        join an unscoped query (platform staff) would read the whole table.
        """
        return self.filter(subscriber__in=subscribers, sender__in=Sender.objects.values("pk"))


class BlocklistEntry(models.Model):
    """Subscriber S may not receive from sender X. One list per sender, nothing more."""

    # The unique (sender, subscriber) index serves lookups by sender. No database
    # constraint: PostgreSQL checks one per inserted row (an index probe and a locked
    # sender row each), which was 3.5 of 20 s of a 1M-row import; the ORM still
    # cascades a deleted sender's entries, and imports insert the one sender id they
    # were claimed for.
    sender = models.ForeignKey(
        Sender,
        on_delete=models.CASCADE,
        related_name="blocklist",
        db_index=False,
        db_constraint=False,
    )
    subscriber = models.CharField(max_length=254)
    reason = models.CharField(max_length=30, choices=Reason.choices, default=Reason.NOT_DEFINED)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NOT_DEFINED)
    excluded_at = models.DateTimeField("exclusion date")
    # Who and which import are references for the record, kept by the ORM; without
    # database constraints an import of a million rows skips two million FK checks.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    import_job = models.ForeignKey(
        "ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )

    objects = BlocklistEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "blocklist entry"
        verbose_name_plural = "blocklist entries"
        constraints = [
            # One index serves uniqueness, exact lookups and, with the pattern operator
            # class, prefix search on the digits (LIKE '+1415%') on PostgreSQL; a second
            # index on the same columns would cost every import row one more insert.
            # It also serves "is this number blocked anywhere?": one probe per sender of
            # the organization (``of_subscribers``), instead of an index on subscriber
            # alone that cost every imported row 4 us more (3.7 of 20 s at 1M rows).
            models.UniqueConstraint(
                fields=["sender", "subscriber"],
                name="entry_unique_subscriber",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            )
        ]
        indexes = [
            # The list's default order: newest exclusions first, per sender.
            models.Index(fields=["sender", "-excluded_at", "-id"], name="entry_sender_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} on {self.sender.address}"


class EventAction(models.TextChoices):
    ADDED = "added", "Added"
    REVERTED = "reverted", "Reverted"


class BlocklistEvent(AppendOnlyModel):
    """Append-only: one row per add or revert, with the entry as it was and who confirmed what.

    The sender's address and the actor's name are copied, and the references carry
    no database constraints: the log outlives what it mentions, and imports append
    a million rows without a million foreign-key checks per reference.
    """

    # Event rows are written in bulk by imports: only the indexes the history page uses.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    sender = models.ForeignKey(
        Sender,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    sender_address = models.CharField(max_length=254)
    subscriber = models.CharField(max_length=254)
    action = models.CharField(max_length=10, choices=EventAction.choices)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    source = models.CharField(max_length=20, choices=Source.choices)
    excluded_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    consent = models.ForeignKey(
        ConsentText,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    import_job = models.ForeignKey(
        "ImportJob",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "subscriber"], name="event_subscriber_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subscriber} on {self.sender_address}"
