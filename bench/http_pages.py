"""Pages through gunicorn, as ``scale.py search`` serves them: p50 and p95 of each.

For a page's HTTP figure next to its in-process one (``profile_page.py``), or the
floor a page stands on (a static file, an empty page behind the login):

    DEBUG=true REDIS_URL=redis://127.0.0.1:6379/10 \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale \\
        .venv/bin/python bench/http_pages.py /static/css/handoff.css /handoff/block-list/

Needs the ``seed_scale`` data (it logs in as its agent, or ``--user staff``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402 (the benchmark's gunicorn, client and logins)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--user", choices=["agent", "staff"], default="agent")
    parser.add_argument("--org-slug", default="scale")
    args = parser.parse_args()

    scale.django_setup()
    passwords = scale.logins(args.org_slug)
    server = scale.Gunicorn(workers=2)
    try:
        browser = scale.Browser(server.port)
        browser.login(f"{args.org_slug}-{args.user}", passwords[args.user])
        for path in args.paths:
            for _ in range(args.warmup):
                browser.get(path)
            samples = []
            for _ in range(args.count):
                started = time.perf_counter()
                status, content = browser.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                assert status == 200, (path, status)
            samples.sort()
            p95 = samples[int(len(samples) * 0.95) - 1]
            print(
                f"{path}: {len(content):,} bytes; p50 {statistics.median(samples):.1f} ms, "
                f"p95 {p95:.1f} ms (n={args.count}, gunicorn)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
