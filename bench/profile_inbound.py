"""The inbound webhook in-process: CPU per request and, with ``--profile``, where it goes.

Calls the WSGI application directly, as gunicorn's worker would (no HTTP, no
test client), against the database and Redis in the environment (the Celery
task is really published, to a queue of its own that is purged afterwards).
Seeds an organization, a short code and a token if they are missing. The
figure is this process's CPU (``time.process_time``) per request; the
PostgreSQL backend's share is not in it.

    createdb -h 127.0.0.1 -U postgres handoff_inbound_dev
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_inbound_dev \\
    REDIS_URL=redis://127.0.0.1:6379/12 DEBUG=true .venv/bin/python manage.py migrate
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/profile_inbound.py [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
QUEUE = f"profile-inbound-{uuid.uuid4().hex[:6]}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "profile-inbound-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ["CELERY_QUEUE"] = QUEUE


def seed() -> str:
    from accounts.models import Organization, Sender
    from accounts.tokens import create_token

    org, _ = Organization.objects.get_or_create(
        slug="profile-inbound", defaults={"name": "Profile Inbound", "country": "US"}
    )
    Sender.objects.get_or_create(
        organization=org, kind="sms_short_code", address="52899", defaults={"name": "Profile"}
    )
    _token, secret = create_token(organization=org, name="profile")
    return secret


def environ(secret: str, i: int, run: str) -> dict:
    body = json.dumps(
        {
            "sender": "52899",
            "from": f"+1415{2000000 + i % 50_000:07d}",
            "text": "STOP" if i % 10 == 0 else f"Question {i}",
            "channel": "sms",
            "provider_message_id": f"profile-{run}-{i}",
        }
    ).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/v1/inbound",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {secret}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the measured requests")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=60)
    args = parser.parse_args()

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    secret = seed()
    run = uuid.uuid4().hex[:8]
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def call(i: int) -> None:
        response = application(environ(secret, i, run), start_response)
        b"".join(response)
        response.close()

    for i in range(50):  # warm: imports, connections, the token cache
        call(-1 - i)
    statuses.clear()
    # Timed by CPU, not wall: waiting on PostgreSQL and Redis is not this process's cost.
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    for i in range(args.count):
        call(i)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{args.count} requests: {cpu / args.count * 1000:.3f} ms CPU and "
        f"{wall / args.count * 1000:.3f} ms wall per request (this process); {statuses}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)

    from config.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(QUEUE)


if __name__ == "__main__":
    main()
