"""Hourly message counts: the triggers keep them exact through every kind of write,
folding keeps the sums, and readers get exact figures for periods that start and end
inside an hour."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from messaging import counts
from messaging.models import Message, MessageCount, TemplateCount
from messaging.services import create_batch
from messaging.tasks import compact_message_counts

T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


def message(org, sender, at, status="delivered", **fields):
    return Message.objects.create(
        organization=org,
        sender=sender,
        channel=sender.kind,
        subscriber="+14155550100",
        status=status,
        requested_at=at,
        updated_at=at,
        **fields,
    )


def truth() -> Counter:
    """What the counts must say: the messages themselves, grouped the same way."""
    result = Counter()
    for row in Message.objects.values("organization_id", "requested_at", "channel", "status"):
        hour = row["requested_at"].replace(minute=0, second=0, microsecond=0)
        result[(row["organization_id"], hour, row["channel"], row["status"])] += 1
    return result


def counted() -> Counter:
    rows = (
        MessageCount.objects.values_list("organization_id", "hour", "channel", "status")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return +Counter({(o, h, c, s): total for o, h, c, s, total in rows})


def test_every_kind_of_write_keeps_the_counts_exact(org, sender, other_org, other_sender):
    create_batch(
        organization=org,
        sender=sender,
        subscribers=[f"+1415555{i:04d}" for i in range(5)],
        text="a",
    )
    first = message(org, sender, T0 + dt.timedelta(minutes=5))
    message(other_org, other_sender, T0 + dt.timedelta(minutes=59), status="send_failed")
    assert counted() == truth()

    Message.objects.filter(organization=org, batch__isnull=False).update(status="sending")
    first.status = "send_failed"
    first.save()
    first.requested_at = T0 + dt.timedelta(hours=3)  # moved to another hour
    first.save(update_fields=["requested_at"])
    Message.objects.filter(pk=first.pk).update(updated_at=timezone.now())  # no count change
    assert counted() == truth()

    two = Message.objects.filter(organization=org, batch__isnull=False).values_list(
        "pk", flat=True
    )[:2]
    Message.objects.filter(pk__in=list(two)).delete()
    Message.objects.filter(pk=first.pk).delete()
    assert counted() == truth()
    assert MessageCount.objects.filter(settled=False).exists()


def test_folding_keeps_the_sums_and_leaves_one_row_per_hour_and_status(org, sender):
    for minute in range(0, 120, 10):
        message(org, sender, T0 + dt.timedelta(minutes=minute), status="sent")
    Message.objects.filter(requested_at__lt=T0 + dt.timedelta(minutes=30)).update(
        status="delivered"
    )
    before = counted()
    compact_message_counts()
    assert counted() == before == truth()
    # 10:00 delivered, 10:00 sent, 11:00 sent; "sent" rows that fell to 0 are gone.
    assert MessageCount.objects.count() == 3
    assert not MessageCount.objects.filter(settled=False).exists()

    Message.objects.all().delete()
    compact_message_counts()
    assert MessageCount.objects.count() == 0


def test_periods_that_start_and_end_inside_an_hour_are_exact(org, sender):
    for minutes in (10, 50, 90, 125, 160):  # 10:10, 10:50, 11:30, 12:05, 12:40
        message(org, sender, T0 + dt.timedelta(minutes=minutes))
    compact_message_counts()
    messages, rollup = Message.objects.all(), MessageCount.objects.all()

    def between(start, end=None):
        since = T0 + dt.timedelta(minutes=start)
        until = T0 + dt.timedelta(minutes=end) if end is not None else None
        return counts.counts_by_status(messages, rollup, since=since, until=until)["delivered"]

    assert between(30, 130) == 3  # 10:50, 11:30, 12:05
    assert between(30) == 4
    assert between(0, 60) == 2  # whole hour, from the counts alone
    assert between(11, 49) == 0  # inside one hour: from the messages
    assert between(50, 51) == 1
    assert between(160, 161) == 1


@pytest.mark.django_db(transaction=True)
def test_a_fold_while_a_write_is_uncommitted_loses_nothing(org, sender):
    """The writer's +1 row is invisible to a fold that runs before it commits: it must
    survive the fold, not vanish with the rows folded (and not be counted twice)."""
    message(org, sender, T0)
    inserted, errors = threading.Event(), []

    def write():
        try:
            with transaction.atomic():
                message(org, sender, T0 + dt.timedelta(minutes=1))
                inserted.set()
                threading.Event().wait(0.5)  # the fold runs now (SQLite: it waits for us)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
            inserted.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    inserted.wait(5)
    counts.compact()
    writer.join()
    assert not errors
    compact_message_counts()
    assert counted() == truth()
    assert sum(counted().values()) == 2


def test_existing_messages_are_counted_by_the_migration(org, sender):
    """What migration 0004 runs once over the messages already stored."""
    import importlib

    migration = importlib.import_module("messaging.migrations.0004_message_counts")
    message(org, sender, T0)
    message(org, sender, T0 + dt.timedelta(hours=1), status="send_failed")
    MessageCount.objects.all().delete()

    class Editor:
        connection = connections["default"]

    migration.drop_triggers(None, Editor())
    migration.add_triggers(None, Editor())
    assert counted() == truth()
    message(org, sender, T0)  # and the triggers are back
    assert counted() == truth()
    assert Message.objects.aggregate(n=Count("id"))["n"] == 3


def template_truth() -> Counter:
    """What the counts by template and label must say: outbound messages with either."""
    result = Counter()
    rows = Message.objects.filter(direction="outbound").exclude(template="", label="")
    for row in rows.values(
        "organization_id", "requested_at", "channel", "status", "template", "label"
    ):
        hour = row["requested_at"].replace(minute=0, second=0, microsecond=0)
        key = (row["organization_id"], hour, row["channel"], row["status"])
        result[(*key, row["template"].upper(), row["label"].upper())] += 1
    return +result


def template_counted() -> Counter:
    rows = (
        TemplateCount.objects.values_list(
            "organization_id", "hour", "channel", "status", "template", "label"
        )
        .annotate(total=Sum("n"))
        .order_by()
    )
    return +Counter({tuple(key): total for *key, total in rows})


def test_every_kind_of_write_keeps_the_counts_by_template_and_label_exact(
    org, sender, other_org, other_sender
):
    create_batch(
        organization=org,
        sender=sender,
        subscribers=[f"+1415555{i:04d}" for i in range(5)],
        text="a",
        template="Order_Shipped",
        label="spring",
    )
    create_batch(organization=org, sender=sender, subscribers=["+14155559999"], text="no tags")
    first = message(org, sender, T0 + dt.timedelta(minutes=5), template="otp")
    message(other_org, other_sender, T0 + dt.timedelta(minutes=59), template="OTP", label="x")
    message(org, sender, T0, direction="inbound", status="received", template="otp")
    assert template_counted() == template_truth()
    assert sum(template_counted().values()) == 7  # not the untagged one, not the inbound

    Message.objects.filter(organization=org, batch__isnull=False).update(status="sending")
    first.template = "OTP-v2"  # renamed
    first.save(update_fields=["template"])
    first.label = "late"
    first.requested_at = T0 + dt.timedelta(hours=3)
    first.save()
    Message.objects.filter(pk=first.pk).update(updated_at=timezone.now())  # no count change
    assert template_counted() == template_truth()

    two = list(Message.objects.filter(template="Order_Shipped").values_list("pk", flat=True)[:2])
    Message.objects.filter(pk__in=two).delete()
    Message.objects.filter(pk=first.pk).delete()
    assert template_counted() == template_truth()

    compact_message_counts()
    assert template_counted() == template_truth()
    assert not TemplateCount.objects.filter(settled=False).exists()
    # One settled row per key: the 3 shipped messages left, sending, one hour.
    (row,) = TemplateCount.objects.filter(template="ORDER_SHIPPED")
    assert (row.label, row.status, row.n) == ("SPRING", "sending", 3)


def test_the_counts_by_template_read_like_the_messages_at_the_edges_of_a_period(org, sender):
    for minutes, template in ((10, "otp"), (50, "OTP"), (90, "promo"), (125, "Otp"), (160, "otp")):
        message(org, sender, T0 + dt.timedelta(minutes=minutes), template=template)
    compact_message_counts()
    messages = Message.objects.filter(template__iexact="otp")
    rollup = TemplateCount.objects.filter(template="OTP")

    def between(start, end):
        since, until = (T0 + dt.timedelta(minutes=m) for m in (start, end))
        return counts.counts_by_status(messages, rollup, since=since, until=until)["delivered"]

    assert between(30, 130) == 2  # 10:50, 12:05; 11:30 was a promo
    assert between(0, 180) == 4
    assert between(11, 49) == 0


def test_existing_messages_are_counted_by_template_by_the_migration(org, sender):
    """What migration 0006 runs once over the messages already stored."""
    import importlib

    migration = importlib.import_module("messaging.migrations.0006_template_counts")
    message(org, sender, T0, template="otp", label="A")
    message(org, sender, T0 + dt.timedelta(hours=1), status="send_failed", label="b")
    message(org, sender, T0)  # neither: not counted
    TemplateCount.objects.all().delete()

    class Editor:
        connection = connections["default"]

    migration.drop_triggers(None, Editor())
    migration.add_triggers(None, Editor())
    assert template_counted() == template_truth()
    assert sum(template_counted().values()) == 2
    message(org, sender, T0, template="otp")  # and the triggers are back
    assert template_counted() == template_truth()


def test_the_hours_with_messages_hold_every_message_counted(org, sender):
    """From the oldest hour with a message of the narrowed kind to the end of the
    newest: a list may read its messages within it and miss none."""
    message(org, sender, T0 + dt.timedelta(minutes=59, seconds=59), status="send_failed")
    message(org, sender, T0 + dt.timedelta(hours=5), status="send_failed")
    message(org, sender, T0 + dt.timedelta(hours=9), status="delivered")
    failed = MessageCount.objects.filter(organization=org, status="send_failed")
    assert counts.hours_with_messages(failed) == (T0, T0 + dt.timedelta(hours=6))
    # a status changed away leaves its hour without a message of it
    Message.objects.filter(requested_at=T0 + dt.timedelta(hours=5)).update(status="delivered")
    assert counts.hours_with_messages(failed) == (T0, T0 + dt.timedelta(hours=1))
    # a period starting inside an hour keeps that hour
    since = T0 + dt.timedelta(minutes=30)
    assert counts.hours_with_messages(failed, since=since) == (T0, T0 + dt.timedelta(hours=1))
    assert counts.hours_with_messages(failed, since=T0 + dt.timedelta(hours=1)) is None
    until = T0 + dt.timedelta(minutes=1)
    assert counts.hours_with_messages(failed, until=until) == (T0, T0 + dt.timedelta(hours=1))
    assert counts.hours_with_messages(MessageCount.objects.filter(status="cancelled")) is None
