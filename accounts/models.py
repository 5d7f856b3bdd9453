"""Tenants and the people in them: organizations, subaccounts, senders, memberships."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone.", code="invalid_time_zone")


def validate_country(value: str) -> None:
    import phonenumbers

    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"“{value}” is not a known country code.", code="invalid_country")


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    SUPERVISOR = "supervisor", "Supervisor"
    ADMIN = "admin", "Admin"

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.value]


ROLE_RANK = {Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3}


class Organization(models.Model):
    """A tenant: everything else belongs to exactly one organization."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    country = models.CharField(
        max_length=2,
        default="US",
        validators=[validate_country],
        help_text="Country used to read national phone numbers (ISO 3166 code, e.g. US).",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    block_contacts_enabled = models.BooleanField(
        "agents may block contacts",
        default=False,
        help_text="Shows the Block button on contacts and tickets.",
    )
    message_retention_days = models.PositiveIntegerField(
        "keep messages for (days)",
        default=90,
        help_text="Older messages are deleted every night; blocklists, active interceptions "
        "and audit logs are kept.",
    )
    bot_enabled = models.BooleanField(
        "bot enabled",
        default=False,
        help_text="Unblocked tickets go to the bot instead of the unassigned queue.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Subaccount(models.Model):
    """A team that sends. Limits when and how often it may message one number.

    ``sending_hours`` maps a weekday (``mon`` .. ``sun``) to a list of
    ``["HH:MM", "HH:MM"]`` windows in the organization's time zone; ``None``
    means any hour, and a weekday missing from the map means no sending that
    day. The frequency limit is at most ``frequency_limit_messages`` messages
    to one number per rolling ``frequency_limit_hours``; ``None`` means no limit.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="subaccounts"
    )
    name = models.CharField(max_length=200)
    sending_hours = models.JSONField(null=True, blank=True, default=None)
    frequency_limit_messages = models.PositiveIntegerField(null=True, blank=True)
    frequency_limit_hours = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="subaccount_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.sending_hours is not None:
            self.sending_hours = parse_sending_hours(self.sending_hours)
        if (self.frequency_limit_messages is None) != (self.frequency_limit_hours is None):
            raise ValidationError(
                "Give both the number of messages and the window in hours, or neither."
            )

    def allows_sending_at(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` (aware) falls in an allowed window, in the organization's zone."""
        if self.sending_hours is None:
            return True
        local = moment.astimezone(self.organization.zone)
        for start, end in self.sending_hours.get(WEEKDAYS[local.weekday()], []):
            if start <= local.strftime("%H:%M") < end:
                return True
        return False

    @property
    def frequency_window(self) -> dt.timedelta | None:
        if self.frequency_limit_hours is None:
            return None
        return dt.timedelta(hours=self.frequency_limit_hours)


def parse_sending_hours(value: dict) -> dict:
    """Validate and normalise a sending-hours map; raises ValidationError."""
    if not isinstance(value, dict):
        raise ValidationError("Sending hours must map weekdays to time windows.")
    result: dict[str, list[list[str]]] = {}
    for day, windows in value.items():
        if day not in WEEKDAYS:
            raise ValidationError(f"“{day}” is not a weekday (use {', '.join(WEEKDAYS)}).")
        clean_windows = []
        for window in windows:
            try:
                start, end = (dt.time.fromisoformat(part).strftime("%H:%M") for part in window)
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"“{window}” on {day} is not a HH:MM-HH:MM window.") from exc
            if end == "00:00":
                end = "24:00"
            if start >= end:
                raise ValidationError(f"On {day}, {start} is not before {end}.")
            clean_windows.append([start, end])
        result[day] = sorted(clean_windows)
    return result


class SenderKind(models.TextChoices):
    SMS_SHORT_CODE = "sms_short_code", "SMS short code"
    SMS_LONG_CODE = "sms_long_code", "SMS long code"
    EMAIL = "email", "Email"
    WHATSAPP = "whatsapp", "WhatsApp account"
    RCS = "rcs", "RCS agent"


PHONE_SENDER_KINDS = {SenderKind.SMS_LONG_CODE, SenderKind.WHATSAPP}


class SenderQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization) -> SenderQuerySet:
        return self.filter(organization=organization)


class Sender(models.Model):
    """A sending entity the organization owns; its ``address`` is normalised for its kind."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="senders")
    subaccount = models.ForeignKey(
        Subaccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="senders"
    )
    kind = models.CharField(max_length=20, choices=SenderKind.choices)
    address = models.CharField(max_length=254)
    name = models.CharField("display name", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SenderQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "kind", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "address"], name="sender_unique_address"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} ({self.name})" if self.name else self.address

    def clean(self) -> None:
        from accounts.senders import normalize_sender_address

        if self.address:
            country = self.organization.country if self.organization_id else "US"
            try:
                self.address = normalize_sender_address(self.kind, self.address, country)
            except ValidationError as exc:
                raise ValidationError({"address": exc.messages}) from exc
        if self.subaccount_id and self.subaccount.organization_id != self.organization_id:
            raise ValidationError({"subaccount": "The subaccount belongs to another organization."})

    @property
    def is_email(self) -> bool:
        return self.kind == SenderKind.EMAIL


class Membership(models.Model):
    """A person's one organization and role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)

    class Meta:
        ordering = ["organization", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.organization}"


class Heartbeat(models.Model):
    """The last time a periodic task ran: proves that the worker and beat are alive."""

    name = models.CharField(max_length=60, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.seen_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token for the HTTP API, belonging to an organization.

    Only the SHA-256 of the secret is stored; the secret is shown once when the
    token is made (``accounts.tokens.create_token``). ``prefix`` is the
    secret's first characters, enough to tell tokens apart on the page.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organization", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
