"""Per-sender blocklists, their append-only event log, consent texts and CSV import jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

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


class BlocklistEntry(models.Model):
    """Subscriber S may not receive from sender X. One list per sender, nothing more."""

    # The unique (sender, subscriber) index serves lookups by sender.
    sender = models.ForeignKey(
        Sender, on_delete=models.CASCADE, related_name="blocklist", db_index=False
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
            models.UniqueConstraint(
                fields=["sender", "subscriber"],
                name="entry_unique_subscriber",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            )
        ]
        indexes = [
            # "Is this number blocked anywhere?" searches by subscriber across senders.
            models.Index(fields=["subscriber"], name="entry_subscriber_idx"),
            # The list's default order: newest exclusions first, per sender.
            models.Index(fields=["sender", "-excluded_at", "-id"], name="entry_sender_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} on {self.sender.address}"


class EventAction(models.TextChoices):
    ADDED = "added", "Added"
    REVERTED = "reverted", "Reverted"


class BlocklistEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The blocklist event log is append-only.")

    def delete(self):
        raise TypeError("The blocklist event log is append-only.")


class BlocklistEvent(models.Model):
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

    objects = BlocklistEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "subscriber"], name="event_subscriber_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.subscriber} on {self.sender_address}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The blocklist event log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The blocklist event log is append-only.")


class ImportStatus(models.TextChoices):
    AWAITING_MAPPING = "awaiting_mapping", "Waiting for field matching"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ImportJob(models.Model):
    """One CSV upload into one sender's blocklist, from upload to done, with its counters."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(Sender, on_delete=models.CASCADE, related_name="import_jobs")
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField(default=0)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    header = models.JSONField(default=list, blank=True)
    column = models.CharField(max_length=255, blank=True)
    reason = models.CharField(max_length=30, choices=Reason.choices, default=Reason.NOT_DEFINED)
    country = models.CharField(max_length=2, blank=True)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.AWAITING_MAPPING
    )
    consent = models.ForeignKey(
        ConsentText, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    rows_read = models.BigIntegerField(default=0)
    rows_added = models.BigIntegerField(default=0)
    rows_present = models.BigIntegerField(default=0)
    rows_invalid = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    errors_file = models.FileField(upload_to="imports/%Y/%m/", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["status"],
                name="import_active_idx",
                condition=Q(status__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} of {self.file_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def progress_percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.file_size:
            return 0
        return min(99, int(self.bytes_read * 100 / self.file_size))


class InterceptionScope(models.TextChoices):
    GLOBAL = "global", "Global"
    LOCAL = "local", "Local"


class InterceptionOrigin(models.TextChoices):
    AUTOMATIC = "automatic", "Automatic"
    MANUAL = "manual", "Manual"


class InterceptionRule(models.Model):
    """The code table: what a channel failure code does to the number.

    Data, not code, so platform staff can change durations in the admin. A rule
    without a scope (or without a duration) creates no interception.
    """

    code = models.PositiveSmallIntegerField(unique=True)
    description = models.CharField(max_length=100)
    scope = models.CharField(max_length=10, choices=InterceptionScope.choices, blank=True)
    duration = models.DurationField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def intercepts(self) -> bool:
        return bool(self.scope) and self.duration is not None


class Interception(models.Model):
    """A timed block on a phone number after a delivery failure.

    Global ones block the number for every organization; local ones for
    ``organization`` only. ``source_organization`` is whose send produced it:
    only that organization (or platform staff) may delete it.
    """

    number = models.CharField(max_length=32)
    scope = models.CharField(max_length=10, choices=InterceptionScope.choices)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    source_organization = models.ForeignKey(
        Organization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    intercepted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    origin = models.CharField(
        max_length=10, choices=InterceptionOrigin.choices, default=InterceptionOrigin.AUTOMATIC
    )

    class Meta:
        ordering = ["-intercepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=Q(scope="global"),
                name="interception_one_global_per_number",
            ),
            models.UniqueConstraint(
                fields=["number", "organization"],
                condition=Q(scope="local"),
                name="interception_one_local_per_number",
            ),
            models.CheckConstraint(
                condition=Q(scope="global", organization__isnull=True)
                | Q(scope="local", organization__isnull=False),
                name="interception_scope_matches_organization",
            ),
        ]
        indexes = [
            # The guards and the suppression check probe by number.
            # (pattern ops also serve a search on the leading digits on PostgreSQL)
            models.Index(
                fields=["number", "expires_at"],
                name="interception_number_idx",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            # The expiry sweep.
            models.Index(fields=["expires_at"], name="interception_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.scope} {self.code} until {self.expires_at:%Y-%m-%d %H:%M}"

    def is_active(self, at=None) -> bool:
        from django.utils import timezone

        return self.expires_at > (at or timezone.now())


class InterceptionAction(models.TextChoices):
    CREATED = "created", "Created"
    EXTENDED = "extended", "Extended"
    EXPIRED = "expired", "Expired"
    DELETED = "deleted", "Deleted"


class InterceptionEvent(models.Model):
    """Append-only history of interceptions: created, extended, expired, deleted."""

    number = models.CharField(max_length=32)
    action = models.CharField(max_length=10, choices=InterceptionAction.choices)
    scope = models.CharField(max_length=10, choices=InterceptionScope.choices)
    # Plain references (no constraint, no cascade): the log outlives organizations.
    organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    source_organization = models.ForeignKey(
        Organization,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    reason = models.CharField(max_length=200, blank=True)
    code = models.PositiveSmallIntegerField()
    expires_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()

    objects = BlocklistEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["number"], name="interception_event_number_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.number} ({self.scope} {self.code})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The interception event log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The interception event log is append-only.")


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


class KeywordEvent(models.Model):
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

    objects = BlocklistEventQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(
                fields=["sender", "subscriber", "-received_at"], name="keyword_event_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.keyword or self.kind} from {self.subscriber}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("The keyword event log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The keyword event log is append-only.")


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
