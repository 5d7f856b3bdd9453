"""seed_scale at tiny volumes: the counts asked for, the same rows for the same seed."""

import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from blocklists.models import BlocklistEntry, Interception
from contacts.models import Contact, Ticket
from messaging.models import Batch, Message, MessageCount
from messaging.selectors import sent_before

SMALL = {
    "entries": 300,
    "blocklist_senders": 3,
    "interceptions": 120,
    "messages": 600,
    "numbers": 40,
    "senders": 6,
    "contacts": 30,
    "tickets": 150,
    "seed": 7,
}


def seed(slug="scale-test", **volumes) -> str:
    out = io.StringIO()
    call_command("seed_scale", org_slug=slug, stdout=out, **{**SMALL, **volumes})
    return out.getvalue()


def snapshot(org):
    """Everything generated, without the database's ids."""
    return {
        "entries": sorted(
            BlocklistEntry.objects.filter(sender__organization=org).values_list(
                "sender__address", "subscriber", "reason", "source", "excluded_at"
            )
        ),
        "interceptions": sorted(
            Interception.objects.values_list("number", "scope", "code", "expires_at")
        ),
        "messages": sorted(
            Message.objects.filter(organization=org).values_list(
                "sender__address",
                "subscriber",
                "direction",
                "status",
                "failure_code",
                "requested_at",
                "provider_message_id",
            )  # fmt: skip
        ),
        "batches": sorted(
            Batch.objects.filter(organization=org).values_list(
                "public_id", "sender__address", "created_at", "message_count"
            )
        ),
        "contacts": sorted(
            Contact.objects.filter(organization=org).values_list("phone", "blocked", "name")
        ),
        "tickets": sorted(
            Ticket.objects.filter(organization=org).values_list(
                "contact__phone", "sender__address", "queue", "created_at"
            )
        ),
    }


@pytest.mark.django_db
def test_loads_the_volumes_asked_for_into_an_organization_of_its_own():
    output = seed()
    org = Organization.objects.get(slug="scale-test")
    assert org.senders.count() == 6
    entries = BlocklistEntry.objects.filter(sender__organization=org)
    assert entries.count() == 300
    assert entries.values("sender").distinct().count() == 3
    now = timezone.now()
    assert Interception.objects.count() == 120
    assert Interception.objects.filter(expires_at__lte=now).count() == 60
    messages = Message.objects.filter(organization=org)
    assert messages.count() == 600
    # COPY fires the message-count triggers too: the SMS Status summary sees the seed.
    counted = MessageCount.objects.filter(organization=org).aggregate(n=Sum("n"))["n"]
    assert counted == 600
    assert messages.values("subscriber").distinct().count() <= 40
    assert messages.values("sender").distinct().count() <= 6
    assert not messages.filter(requested_at__lt=now - dt.timedelta(days=31)).exists()
    statuses = set(messages.values_list("status", flat=True))
    assert {"delivered", "send_failed", "received"} <= statuses
    # Every outbound message belongs to a batch and shares its time and sender, as
    # create_batch stamps them; a campaign has many; inbound ones have none.
    outbound = messages.filter(direction="outbound")
    assert not outbound.filter(batch=None).exists()
    assert not messages.filter(direction="inbound").exclude(batch=None).exists()
    batches = Batch.objects.filter(organization=org)
    assert batches.aggregate(n=Sum("message_count"))["n"] == outbound.count()
    assert batches.filter(message_count__gte=500).exists()
    for batch in batches:
        stamps = set(batch.messages.values_list("requested_at", "sender", "template"))
        assert stamps == {(batch.created_at, batch.sender_id, batch.template)}
    # Appended oldest first, as production appends them.
    times = list(messages.order_by("pk").values_list("requested_at", flat=True))
    assert times == sorted(times)
    contacts = Contact.objects.filter(organization=org)
    assert contacts.count() == 30 and contacts.filter(blocked=True).exists()
    assert Ticket.objects.filter(organization=org).count() == 150
    agent = Membership.objects.get(organization=org, user__username="scale-test-agent")
    assert agent.role == Role.AGENT
    assert get_user_model().objects.get(username="scale-test-staff").is_superuser
    # The passwords are printed once (and only there).
    assert "scale-test-agent" in output and "Loaded in" in output


@pytest.mark.django_db
def test_the_replies_carry_what_they_answer_as_the_worker_leaves_them():
    # Few numbers on one sender, so that some replies answer a message sent before.
    seed(
        slug="scale-answers", senders=1, blocklist_senders=1, numbers=20, contacts=3, messages=4000
    )
    replies = Message.objects.filter(organization__slug="scale-answers", direction="inbound")
    for reply in replies:
        last = sent_before(reply.sender_id, reply.subscriber, reply.requested_at).first()
        answered = (last.template, last.label) if last else (None, None)
        assert (reply.replied_template, reply.replied_label) == answered
    assert replies.exclude(replied_template=None).exists()


@pytest.mark.django_db
def test_same_seed_same_rows_and_an_existing_organization_is_left_alone():
    seed()
    org = Organization.objects.get(slug="scale-test")
    first = snapshot(org)
    assert "nothing loaded" in seed()
    assert snapshot(org) == first

    Interception.objects.all().delete()
    org.delete()
    seed()
    assert snapshot(Organization.objects.get(slug="scale-test")) == first


@pytest.mark.django_db
def test_another_seed_gives_other_rows():
    seed()
    first = snapshot(Organization.objects.get(slug="scale-test"))
    Interception.objects.all().delete()
    seed(slug="scale-other", seed=8)
    other = snapshot(Organization.objects.get(slug="scale-other"))
    assert other["messages"] != first["messages"]


@pytest.mark.django_db
def test_refuses_production_volumes_on_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        seed(messages=20_000)
    assert not Organization.objects.filter(slug="scale-test").exists()
