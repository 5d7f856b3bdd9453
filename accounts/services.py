"""State changes of the accounts app. Each runs in one transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Heartbeat, Organization, Sender, Subaccount


@transaction.atomic
def update_organization_settings(*, organization: Organization, form) -> Organization:
    """Save the admin's Settings form for their organization."""
    form.instance = organization
    return form.save()


@transaction.atomic
def save_sender(*, organization: Organization, form) -> Sender:
    """Create or update a sender of ``organization`` from a validated SenderForm."""
    sender = form.save(commit=False)
    sender.organization = organization
    sender.save()
    return sender


@transaction.atomic
def save_subaccount(*, organization: Organization, form) -> Subaccount:
    """Create or update a subaccount of ``organization`` from a validated SubaccountForm."""
    subaccount = form.save(commit=False)
    subaccount.organization = organization
    subaccount.save()
    return subaccount


def record_heartbeat(*, name: str) -> Heartbeat:
    """Note that the periodic task ``name`` ran now (upsert of one row)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"seen_at": timezone.now()}
    )
    return heartbeat
