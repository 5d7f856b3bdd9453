"""Contacts at volume: the supervisor dashboard, the Blocked tickets list and Delete All.

100,000 contacts (10,000 blocked) and 1,000,000 tickets with one message each,
in one organization, seeded set-based (INSERT ... SELECT FROM generate_series).
Server time of the real views (Django test Client, logged-in supervisor,
in-process), p50/p95 over 50 requests each; then Delete All (through the
dialog's POST) for a contact with 10,000 blocked tickets. PostgreSQL only.

    createdb -h 127.0.0.1 -U postgres handoff_bench_contacts
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_bench_contacts \
        .venv/bin/python bench/bench_contacts.py [--requests 50]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import Membership, Organization, Role, Sender  # noqa: E402
from contacts.models import Contact, Queue, Ticket, TicketMessage  # noqa: E402

CONTACTS = 100_000
BLOCKED_CONTACTS = 10_000
TICKETS = 1_000_000
DELETE_ALL_TICKETS = 10_000


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def run(sql: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def seed(org: Organization, senders: list[Sender], agents: list[int]) -> None:
    """Contacts 1..10,000 (by position) are blocked; tickets spread over everyone."""
    if Contact.objects.filter(organization=org).count() >= CONTACTS:
        return
    started = time.perf_counter()
    print("seeding contacts ...", flush=True)
    run(
        """
        INSERT INTO contacts_contact (organization_id, name, phone, email, whatsapp, blocked,
            blocked_at, blocked_reason, created_at, updated_at)
        SELECT %s, 'Contact ' || g, '+1415' || lpad(g::text, 7, '0'), NULL, NULL,
            g <= %s, CASE WHEN g <= %s THEN now() - g * interval '1 minute' END,
            CASE WHEN g <= %s THEN 'bench' ELSE '' END, now(), now()
        FROM generate_series(1, %s) AS g
        """,
        [org.pk, BLOCKED_CONTACTS, BLOCKED_CONTACTS, BLOCKED_CONTACTS, CONTACTS],
    )
    first = Contact.objects.filter(organization=org).order_by("id").values_list("id", flat=True)[0]
    sender_ids = "{" + ",".join(str(s.pk) for s in senders) + "}"
    agent_ids = "{" + ",".join(str(a) for a in agents) + "}"
    blocked_tickets = 4 * (BLOCKED_CONTACTS - 1)  # contact 1 gets its 10,000 in prepare()
    print("seeding tickets ...", flush=True)
    # Blocked contacts 2..10,000: four blocked tickets each.
    run(
        """
        INSERT INTO contacts_ticket (organization_id, contact_id, sender_id, queue,
            created_at, updated_at)
        SELECT %s, %s + 1 + (g %% (%s - 1)), (%s::bigint[])[1 + g %% 4], 'blocked',
            now() - g * interval '7 seconds', now() - g * interval '7 seconds'
        FROM generate_series(1, %s) AS g
        """,
        [org.pk, first, BLOCKED_CONTACTS, sender_ids, blocked_tickets],
    )
    # Everyone else: 85% closed, 7% assigned, 5% unassigned, 3% bot.
    run(
        """
        INSERT INTO contacts_ticket (organization_id, contact_id, sender_id, queue,
            assignee_id, created_at, updated_at, closed_at)
        SELECT %s, %s + %s + (g %% (%s - %s)), (%s::bigint[])[1 + g %% 4], q.queue,
            CASE WHEN q.queue = 'assigned' THEN (%s::int[])[1 + g %% 5] END,
            now() - g * interval '30 seconds', now() - g * interval '30 seconds',
            CASE WHEN q.queue = 'closed' THEN now() - g * interval '30 seconds' END
        FROM generate_series(1, %s) AS g,
        LATERAL (SELECT CASE WHEN g %% 100 < 85 THEN 'closed'
                             WHEN g %% 100 < 92 THEN 'assigned'
                             WHEN g %% 100 < 97 THEN 'unassigned'
                             ELSE 'bot' END AS queue) AS q
        """,
        [
            org.pk,
            first,
            BLOCKED_CONTACTS,
            CONTACTS,
            BLOCKED_CONTACTS,
            sender_ids,
            agent_ids,
            TICKETS - DELETE_ALL_TICKETS - blocked_tickets,
        ],
    )
    print("seeding one message per ticket ...", flush=True)
    run(
        """
        INSERT INTO contacts_ticketmessage (ticket_id, direction, channel, text, created_at)
        SELECT id, 'inbound', 'sms', 'Hello, I need help with my order', created_at
        FROM contacts_ticket WHERE organization_id = %s
        """,
        [org.pk],
    )
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


def prepare_delete_all_target(org: Organization, sender: Sender) -> Contact:
    """Contact 1: blocked, with exactly 10,000 blocked tickets of two messages each."""
    target = Contact.objects.filter(organization=org).order_by("id").first()
    Contact.objects.filter(pk=target.pk).update(blocked=True, blocked_reason="bench")
    missing = (
        DELETE_ALL_TICKETS - Ticket.objects.filter(contact=target, queue=Queue.BLOCKED).count()
    )
    if missing > 0:
        run(
            """
            INSERT INTO contacts_ticket (organization_id, contact_id, sender_id, queue,
                created_at, updated_at)
            SELECT %s, %s, %s, 'blocked', now() - g * interval '11 seconds',
                now() - g * interval '11 seconds'
            FROM generate_series(1, %s) AS g
            """,
            [org.pk, target.pk, sender.pk, missing],
        )
        run(
            """
            INSERT INTO contacts_ticketmessage (ticket_id, direction, channel, text, created_at)
            SELECT t.id, 'inbound', 'sms', 'spam ' || m, t.created_at
            FROM contacts_ticket t, generate_series(1, 2) AS m
            WHERE t.contact_id = %s AND t.queue = 'blocked'
              AND NOT EXISTS (SELECT 1 FROM contacts_ticketmessage x WHERE x.ticket_id = t.id)
            """,
            [target.pk],
        )
    return Contact.objects.get(pk=target.pk)


def timed(client: Client, path: str, n: int, **extra) -> list[float]:
    for _ in range(5):  # warm up
        client.get(path, **extra)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, **extra)
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this on PostgreSQL (set DATABASE_URL).")
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    org, _ = Organization.objects.get_or_create(
        slug="bench-contacts",
        defaults={"name": "Bench Contacts", "country": "US", "block_contacts_enabled": True},
    )
    senders = [
        Sender.objects.get_or_create(
            organization=org, address=f"7100{n}", defaults={"kind": "sms_short_code"}
        )[0]
        for n in range(4)
    ]
    User = get_user_model()
    agents = []
    for n in range(5):
        agent, _ = User.objects.get_or_create(username=f"bench-contacts-agent-{n}")
        Membership.objects.update_or_create(
            user=agent, defaults={"organization": org, "role": Role.AGENT}
        )
        agents.append(agent.pk)
    supervisor, _ = User.objects.get_or_create(username="bench-contacts-supervisor")
    Membership.objects.update_or_create(
        user=supervisor, defaults={"organization": org, "role": Role.SUPERVISOR}
    )
    seed(org, senders, agents)
    target = prepare_delete_all_target(org, senders[0])
    run("VACUUM ANALYZE contacts_contact")
    run("VACUUM ANALYZE contacts_ticket")
    run("VACUUM ANALYZE contacts_ticketmessage")

    contacts = Contact.objects.filter(organization=org)
    tickets = Ticket.objects.filter(organization=org)
    print(
        f"contacts {contacts.count():,} (blocked {contacts.filter(blocked=True).count():,}); "
        f"tickets {tickets.count():,} (blocked {tickets.filter(queue='blocked').count():,}); "
        f"messages {TicketMessage.objects.filter(ticket__organization=org).count():,}"
    )
    client = Client()
    client.force_login(supervisor)
    htmx = {"headers": {"HX-Request": "true"}}
    n = args.requests
    print(f"{n} requests each, logged-in supervisor, in-process test Client:")
    print(f"supervisor dashboard          {percentiles(timed(client, '/contacts/supervisor/', n))}")
    blocked_url = "/contacts/tickets/blocked/"
    print(f"blocked tickets, page 1       {percentiles(timed(client, blocked_url, n))}")
    print(f"blocked tickets, page 1 htmx  {percentiles(timed(client, blocked_url, n, **htmx))}")
    print(
        f"blocked tickets, page 20      {percentiles(timed(client, blocked_url + '?page=20', n))}"
    )
    print(
        f"contacts, Blocked tab         {percentiles(timed(client, '/contacts/?tab=blocked', n))}"
    )

    count = Ticket.objects.filter(contact=target, queue=Queue.BLOCKED).count()
    messages = TicketMessage.objects.filter(ticket__contact=target, ticket__queue="blocked").count()
    started = time.perf_counter()
    response = client.post(f"/contacts/{target.pk}/unblock/", {"choice": "delete_all"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    left = Ticket.objects.filter(contact=target, queue=Queue.BLOCKED).count()
    print(
        f"Delete All: {count:,} blocked tickets and {messages:,} messages in "
        f"{elapsed * 1000:.0f} ms (POST through the dialog); blocked tickets left: {left}"
    )


if __name__ == "__main__":
    main()
