"""One page in-process: its latency and, with ``--profile``, where the time goes.

Runs the page through Django's test client as the seeded agent (no HTTP, no
gunicorn), so the figures are the page's own Python and SQL. For the pages'
HTTP figures use ``scale.py search``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale \\
        .venv/bin/python bench/profile_page.py "/handoff/messages/?channel=1" [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "profile-page-only")
os.environ.setdefault("ALLOWED_HOSTS", "*")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--user", default="scale-agent")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5, help="requests before the timed ones")
    parser.add_argument("--profile", action="store_true", help="cProfile 10 requests")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=args.user))
    response = client.get(args.path, secure=True)
    for _ in range(args.warmup - 1):
        response = client.get(args.path, secure=True)
    assert response.status_code == 200, response.status_code
    samples = []
    for _ in range(args.count):
        started = time.perf_counter()
        client.get(args.path, secure=True)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[max(int(len(samples) * 0.95) - 1, 0)]
    print(
        f"{args.path}: {len(response.content):,} bytes; "
        f"p50 {statistics.median(samples):.1f} ms, p95 {p95:.1f} ms (n={args.count}, in-process)"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            client.get(args.path, secure=True)
        profile.disable()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime: the functions' own
        pstats.Stats(profile).sort_stats(order).print_stats(40)


if __name__ == "__main__":
    main()
