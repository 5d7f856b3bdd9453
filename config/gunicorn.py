"""gunicorn's settings for the Procfile's web process (``gunicorn -c config/gunicorn.py``).

Sync workers, two per core unless ``WEB_CONCURRENCY`` says otherwise: on 2
cores, 4 sync workers measured best for the inbound webhook (656-731 requests/s,
against 575-599 for threaded workers; docs/performance.md).
"""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
wsgi_app = "config.wsgi"
