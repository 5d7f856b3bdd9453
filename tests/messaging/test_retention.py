"""Retention: old messages go; blocklists, interceptions and audit logs stay."""

import datetime as dt

from django.utils import timezone

from blocklists import interceptions, services
from blocklists.models import BlocklistEvent, Interception
from messaging.models import Message
from messaging.services import create_batch, purge_old_messages


def test_messages_past_retention_are_purged_in_batches(org, other_org, sender, other_sender):
    now = timezone.now()
    old = create_batch(
        organization=org,
        sender=sender,
        subscribers=[f"+1415555010{n}" for n in range(5)],
        text="old",
    )
    Message.objects.filter(batch=old).update(requested_at=now - dt.timedelta(days=91))
    create_batch(organization=org, sender=sender, subscribers=["+14155550109"], text="new")
    other_org.message_retention_days = 365
    other_org.save()
    theirs = create_batch(
        organization=other_org,
        sender=other_sender,
        subscribers=["+14155550120"],
        text="kept longer",
    )
    Message.objects.filter(batch=theirs).update(requested_at=now - dt.timedelta(days=91))
    services.opt_out(sender=sender, subscriber="+14155550101")
    interceptions.intercept_from_failure(number="+14155550101", code=500, organization=org)

    assert purge_old_messages(now=now, batch_size=2) == 5
    assert set(Message.objects.values_list("text", flat=True)) == {"new", "kept longer"}
    assert services.is_blocklisted(sender, "+14155550101")
    assert Interception.objects.count() == 1 and BlocklistEvent.objects.count() == 1
    assert purge_old_messages(now=now) == 0


def test_retention_is_an_admin_setting(login, admin_user, org):
    from django.urls import reverse

    login(admin_user).post(
        reverse("accounts:settings"),
        {"name": "Acme", "country": "US", "time_zone": "UTC", "message_retention_days": "30"},
    )
    org.refresh_from_db()
    assert org.message_retention_days == 30
