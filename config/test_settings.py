"""Settings for the test suite: the real settings with test-only speed-ups."""

import os

# The suite runs with the development key; production refuses it (see settings).
os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: E402,F403

# Hashing demo and persona passwords with PBKDF2 would dominate the suite's time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
