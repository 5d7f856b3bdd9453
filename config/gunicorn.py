"""gunicorn's settings for the Procfile's web process (``gunicorn -c config/gunicorn.py``).

Sync workers (``config.roomy_stack.RoomySyncWorker`` on Python 3.11), two per core
unless ``WEB_CONCURRENCY`` says otherwise: on 2 cores, 4 sync workers measured best
for the inbound webhook (656-731 requests/s, against 575-599 for threaded workers;
docs/performance.md).
"""

import gc
import multiprocessing
import os
import sys

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
wsgi_app = "config.wsgi"
# Sync workers whose requests run clear of Python 3.11's frame-stack chunk boundaries
# (config/roomy_stack.py): up to twice as fast on the search pages.
worker_class = "config.roomy_stack.RoomySyncWorker" if sys.version_info < (3, 13) else "sync"

# What the worker keeps for its lifetime (the code, the URLconf, compiled templates) out
# of the garbage collector's oldest generation. A full collection looked at all of it,
# about 125,000 objects: 50-100 ms, in one request out of 150 on the search pages, the
# tail of their p99 (docs/performance.md, "Thirteenth session"). Frozen, a full
# collection takes 3-7 ms (bench/gc_pauses.py). Frozen again after the first requests,
# which compile their pages' templates; each freeze follows a collection, so no garbage
# is frozen. An object alive at a freeze and dropped later in a reference cycle stays
# until the worker exits: at most what was alive at these five moments.
FREEZE_AFTER_REQUESTS = frozenset({1, 10, 100, 1000})


def freeze_long_lived() -> None:
    gc.collect()
    gc.freeze()


def post_worker_init(worker) -> None:
    freeze_long_lived()


def post_request(worker, req, environ, resp) -> None:
    if worker.nr in FREEZE_AFTER_REQUESTS:
        freeze_long_lived()
