"""gunicorn's settings for the Procfile's web process (``gunicorn -c config/gunicorn.py``).

Sync workers (``config.roomy_stack.RoomySyncWorker`` on Python 3.11), two per core
unless ``WEB_CONCURRENCY`` says otherwise: on 2 cores, 4 sync workers measured best
for the inbound webhook (656-731 requests/s, against 575-599 for threaded workers;
docs/performance.md).
"""

import multiprocessing
import os
import sys

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
wsgi_app = "config.wsgi"
# Sync workers whose requests run clear of Python 3.11's frame-stack chunk boundaries
# (config/roomy_stack.py): up to twice as fast on the search pages.
worker_class = "config.roomy_stack.RoomySyncWorker" if sys.version_info < (3, 13) else "sync"
