"""What the fault tests do inside the application, run as a separate process against the
private servers: ``python -m tests.faults.actions COMMAND [ARGS]``; prints JSON.

The test process itself never connects Django to those servers (pytest-django owns its
connection); it starts this with the stack's environment and reads the answer.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import django


def seed() -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import Membership, Organization, Role, Sender
    from accounts.tokens import create_token

    org = Organization.objects.create(name="Faults", slug="faults", country="US")
    sender = Sender.objects.create(
        organization=org, kind="sms_short_code", address="52811", name="Faults"
    )
    _token, secret = create_token(organization=org, name="faults")
    user = get_user_model().objects.create_user("faults-agent", password="x" * 20)
    Membership.objects.create(user=user, organization=org, role=Role.AGENT)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]  # as a login would
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return {"secret": secret, "sender_id": sender.pk, "session": session.session_key}


def number(i: int) -> str:
    return f"+1415{2000000 + i:07d}"


def import_start(rows: int, path: str) -> dict:
    """A CSV of ``rows`` distinct numbers plus 1% repeats and 1% invalid, queued for the worker."""
    from django.core.files import File

    from accounts.models import Sender
    from blocklists import import_services
    from blocklists.models import ConsentText

    with open(path, "w", newline="") as out:
        out.write("name,mobile\r\n")
        for i in range(rows):
            out.write(f"P{i},{number(i)}\r\n")
            if i % 100 == 1:
                out.write(f"Again{i},{number(i - 1)}\r\n")
            if i % 100 == 2:
                out.write(f"Bad{i},call me\r\n")
    sender = Sender.objects.get(address="52811")
    with open(path, "rb") as handle:
        job = import_services.create_import_job(
            sender=sender,
            uploaded_file=File(handle, name="faults.csv"),
            user=None,
            consent=ConsentText.current(ConsentText.Purpose.ADD),
        )
    import_services.start_import(job=job, column="mobile", reason="list_cleanup")
    return {"job": job.pk}


def import_resume(job_id: int) -> dict:
    """What happens after a worker died: beat's fail_stale_imports, then "Run again"."""
    from blocklists import import_services
    from blocklists.models import ImportJob

    failed = import_services.fail_stale_imports()
    job = ImportJob.objects.get(pk=job_id)
    return {"failed": failed, "error": job.error, "queued": import_services.retry_import(job=job)}


def dispatch(messages: int) -> dict:
    from accounts.models import Sender
    from messaging import services
    from messaging.models import Trigger

    sender = Sender.objects.select_related("organization").get(address="52811")
    batch = services.create_batch(
        organization=sender.organization,
        sender=sender,
        subscribers=[number(i) for i in range(messages)],
        text="Your order has shipped",
        trigger=Trigger.API,
    )
    return {"batch": batch.pk}


def requeue_sends() -> dict:
    """Beat's requeue_stalled_sends as it runs once STALLED_AFTER has passed."""
    from django.utils import timezone

    from messaging import services, tasks

    later = timezone.now() + services.STALLED_AFTER + dt.timedelta(seconds=1)
    batch_ids, message_ids = services.stalled_dispatch(now=later)
    for batch_id in batch_ids:
        tasks.dispatch_batch.delay(batch_id)
    for start in range(0, len(message_ids), services.SEND_CHUNK):
        tasks.send_messages.delay(message_ids[start : start + services.SEND_CHUNK])
    return {"batches": len(batch_ids), "messages": len(message_ids)}


def store_inbound(count: int) -> dict:
    """``count`` inbound messages stored as the webhook stores them (10% STOP), queued."""
    from accounts.models import Sender
    from messaging.inbound import receive_inbound

    sender = Sender.objects.get(address="52811")
    for i in range(count):
        is_stop = i % 10 == 0
        receive_inbound(
            sender=sender,
            subscriber=number(100_000 + i) if is_stop else number(i % 500),
            text="STOP" if is_stop else f"Question {i}",
            provider_message_id=f"kill-{i}",
        )
    return {"stored": count}


def requeue_inbound() -> dict:
    """Beat's requeue_unprocessed_inbound as it runs once REQUEUE_AFTER has passed."""
    from django.utils import timezone

    from messaging import inbound, tasks

    later = timezone.now() + inbound.REQUEUE_AFTER + dt.timedelta(seconds=1)
    ids = inbound.unprocessed_inbound_ids(now=later, limit=1_000_000)
    for message_id in ids:
        tasks.process_inbound.delay(message_id)
    return {"requeued": len(ids)}


COMMANDS = {
    "seed": seed,
    "import-start": lambda rows, path: import_start(int(rows), path),
    "import-resume": lambda job: import_resume(int(job)),
    "dispatch": lambda messages: dispatch(int(messages)),
    "requeue-sends": requeue_sends,
    "store-inbound": lambda count: store_inbound(int(count)),
    "requeue-inbound": requeue_inbound,
}

if __name__ == "__main__":
    django.setup()
    print(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])))
