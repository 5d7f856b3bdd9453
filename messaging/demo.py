"""Demo batches and messages for ``seed_demo``: idempotent (skips when Demo Co has batches).

Statuses are reached through the real services: dispatch runs the guards and
the loopback gateway's outcomes are applied as receipts, in-process.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Organization
from blocklists.services import opt_out
from messaging import services
from messaging.models import Batch, ProhibitedTerm, TermKind, Trigger

DEMO_NUMBERS = [
    "+14155550123",  # delivered
    "+14155550124",  # delivered
    "+14155550500",  # 500 Empty: global interception for 30 days
    "+14155550530",  # 530 Busy
    "+14155550520",  # 520 Blacklist: local interception
    "+14155550199",  # on the blocklist: unsubscribe
]


def seed_messaging() -> int:
    """A few batches in several statuses for Demo Co; returns how many batches it made."""
    organization = Organization.objects.filter(slug="demo-co").first()
    if organization is None or Batch.objects.filter(organization=organization).exists():
        return 0
    sender = organization.senders.filter(kind="sms_short_code").first()
    if sender is None:
        return 0
    ProhibitedTerm.objects.get_or_create(term="free cash")
    ProhibitedTerm.objects.get_or_create(term="bit.ly", defaults={"kind": TermKind.DOMAIN})
    opt_out(sender=sender, subscriber=DEMO_NUMBERS[-1])

    sent = services.create_batch(
        organization=organization,
        sender=sender,
        subscribers=DEMO_NUMBERS,
        text="Hi {{name}}, your order has shipped.",
        variables={"name": "there"},
        trigger=Trigger.API,
        label="Order updates",
    )
    _dispatch_in_process(sent)
    blocked = services.create_batch(
        organization=organization,
        sender=sender,
        subscribers=["+14155550125"],
        text="Get FREE CASH at bit.ly/x",
        trigger=Trigger.FORM,
        label="Promo",
    )
    _dispatch_in_process(blocked)
    later = timezone.now() + dt.timedelta(days=1)
    services.create_batch(
        organization=organization,
        sender=sender,
        subscribers=["+14155550126", "+14155550127"],
        text="Reminder: your appointment is tomorrow.",
        trigger=Trigger.FILE,
        file_name="reminders.csv",
        send_at=later,
        label="Reminders",
    )
    cancelled = services.create_batch(
        organization=organization,
        sender=sender,
        subscribers=["+14155550128"],
        text="Survey",
        send_at=later,
        label="Survey",
    )
    services.cancel_batch(batch=cancelled)
    return 4


def _dispatch_in_process(batch: Batch) -> None:
    """Dispatch, send and receipts in this process (seed_demo may run before any worker)."""
    from celery import current_app as app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        services.dispatch_batch(batch_id=batch.pk)
    finally:
        app.conf.task_always_eager = previous
