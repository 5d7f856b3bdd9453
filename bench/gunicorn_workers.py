"""Pages through one gunicorn worker of each kind, on the seed_scale data.

Starts ``python -m gunicorn config.wsgi -w 1`` with the production settings, and
again with each ``-k`` given, logged in as ``scale-agent`` (a session made in the
database), and times each page: 5 warm-ups, then 20 requests on one keep-alive
connection. ``python -m gunicorn`` is how bench/scale.py starts it; its loop sits
deeper than the ``gunicorn`` script's, which decides where Python 3.11's frame-stack
chunk boundaries fall (config/roomy_stack.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/handoff_scale .venv/bin/python \\
        bench/gunicorn_workers.py sync config.roomy_stack.RoomySyncWorker -- \\
        "/handoff/messages/?channel=1" "/handoff/status/?status=delivered" /handoff/
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.update(
    DEBUG="false",
    SECRET_KEY="gunicorn-workers-bench-" + "x" * 40,
    ALLOWED_HOSTS="*",
    SECURE_SSL_REDIRECT="false",
)


def main() -> None:
    if "--" not in sys.argv:
        sys.exit(__doc__)
    split = sys.argv.index("--")
    kinds, pages = sys.argv[1:split], sys.argv[split + 1 :]
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username="scale-agent")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]  # as a login
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        "X-Forwarded-Proto": "https",
    }
    port = 8765
    for kind in kinds:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-w", "1", "-k", kind]
        server = subprocess.Popen(
            [*command, "-b", f"127.0.0.1:{port}"], cwd=REPO, stderr=subprocess.DEVNULL
        )
        time.sleep(4)
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port)
            for page in pages:
                samples = []
                for i in range(25):
                    started = time.perf_counter()
                    connection.request("GET", page, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    assert response.status == 200, (page, response.status)
                    if i >= 5:
                        samples.append((time.perf_counter() - started) * 1000)
                samples.sort()
                p95 = samples[int(len(samples) * 0.95) - 1]
                print(
                    f"{kind:36s} {page:40s} "
                    f"p50 {statistics.median(samples):6.1f} ms  p95 {p95:6.1f} ms"
                )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
