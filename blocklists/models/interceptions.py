"""Interceptions: timed blocks on numbers after delivery failures, and their code table."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.audit import AppendOnlyModel
from accounts.models import Organization


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
            # The Interceptions page, newest first: without it every visit sorted the
            # whole table (370 ms at 1M interceptions).
            models.Index(fields=["-intercepted_at", "-id"], name="interception_recent_idx"),
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


class InterceptionEvent(AppendOnlyModel):
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

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["number"], name="interception_event_number_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.number} ({self.scope} {self.code})"
