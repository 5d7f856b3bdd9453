"""Python's garbage collections during a page's requests, with and without ``gc.freeze()``.

Calls the WSGI application directly (no gunicorn, no test client: the test client
connects signal receivers on every request and leaves their finalizers behind) as
the seeded agent, over the first page of each of the organization's channels, and
prints the requests' p50 / p95 / p99 / max with what the collections cost:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale \\
        .venv/bin/python bench/gc_pauses.py [--freeze] [--count 2000]

``--freeze`` does what ``config/gunicorn.py`` does once a web worker is up: a full
collection, then ``gc.freeze()``. ``--path`` times another page, e.g. the number
timeline: ``--freeze --path "/handoff/numbers/{customer}/"``. The requests run in a
roomy chunk of the frame stack, as in gunicorn's worker (``config/roomy_stack.py``).
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "gc-pauses-only")
os.environ.setdefault("ALLOWED_HOSTS", "*")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--freeze", action="store_true")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--user", default="scale-agent")
    parser.add_argument(
        "--path",
        default="/handoff/messages/?channel={sender}",
        help="{sender}: each channel in turn; {customer}: a customer number",
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from accounts.models import Sender
    from config.roomy_stack import call_in_roomy_chunk
    from config.wsgi import application
    from handoff.management.commands.seed_scale import scale_number

    user = get_user_model().objects.select_related("membership").get(username=args.user)
    senders = list(
        Sender.objects.filter(organization_id=user.membership.organization_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    login = Client()
    login.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={login.cookies[settings.SESSION_COOKIE_NAME].value}"
    # {sender}: each of the organization's channels; {customer}: as many customer
    # numbers with messages, the ones scale.py search asks for.
    rng = random.Random(5)
    customers = [scale_number(rng.randrange(100_000)) for _ in senders]
    paths = [
        args.path.format(sender=pk, customer=c) for pk, c in zip(senders, customers, strict=True)
    ]

    def get(path: str) -> None:
        path_info, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "HTTP_COOKIE": cookie,
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
        }
        answered = []
        b"".join(application(environ, lambda status, headers, exc=None: answered.append(status)))
        assert answered[0].startswith("200"), (path, answered)

    # In a roomy chunk of the frame stack, as gunicorn's worker runs (config/roomy_stack.py).
    call_in_roomy_chunk(run, args, paths, get)


def run(args, paths, get) -> None:
    for path in paths:  # every page once: its templates compiled, its queries planned
        get(path)
    if args.freeze:
        gc.collect()
        gc.freeze()

    started: dict[int, float] = {}
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def on_gc(phase, info):
        if phase == "start":
            started[info["generation"]] = time.perf_counter()
        else:
            generation = info["generation"]
            pauses[generation].append((time.perf_counter() - started[generation]) * 1000)

    gc.callbacks.append(on_gc)
    latencies = []
    for i in range(args.count):
        begun = time.perf_counter()
        get(paths[i % len(paths)])
        latencies.append((time.perf_counter() - begun) * 1000)
    gc.callbacks.remove(on_gc)

    latencies.sort()
    n = len(latencies)
    print(
        f"{args.count} requests over {len(paths)} pages, freeze {'on' if args.freeze else 'off'}"
        f" ({gc.get_freeze_count():,} objects frozen): p50 {statistics.median(latencies):.1f}"
        f" / p95 {latencies[int(n * 0.95)]:.1f} / p99 {latencies[int(n * 0.99)]:.1f}"
        f" / max {latencies[-1]:.1f} ms"
    )
    for generation, times in pauses.items():
        if times:
            print(
                f"  generation {generation} collections: {len(times)}, p50 "
                f"{statistics.median(times):.2f} / max {max(times):.1f} ms, "
                f"{sum(times) / args.count:.3f} ms per request"
            )


if __name__ == "__main__":
    main()
