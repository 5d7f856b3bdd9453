"""Settings for the test suite: the real settings with test-only speed-ups."""

import os

# The suite runs with the development key; production refuses it (see settings).
os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: E402,F403
from config.settings import DATABASES, VAR_DIR  # noqa: E402

# Hashing demo and persona passwords with PBKDF2 would dominate the suite's time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One test database per test run, so two runs in one checkout (a developer's and
# a helper's, or `make test` beside `make e2e`) never drop each other's database.
_suffix = os.environ.get("HANDOFF_TEST_DB_SUFFIX", str(os.getpid()))
_db = DATABASES["default"]
if _db["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so a real Celery worker started by a test sees the data.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{_suffix}.sqlite3")}
else:
    _db["TEST"] = {"NAME": f"test_{_db['NAME']}_{_suffix}"}

# Tests share one cache and one client address: the lockout tests lower this
# themselves; everywhere else a wrong password in one test must not lock the next.
LOGIN_MAX_FAILURES = 10_000
