"""Fixtures of the fault and load tests: private PostgreSQL and Redis, one stack per test.

Run by ``make faults`` (``.ci/run`` calls it); ``make test`` leaves them out
(``-m "not slow"``). ``FAULTS_FULL=1`` runs the volumes named in issue #9 instead
of the smaller CI ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.faults.stack import REPO, PrivatePostgres, PrivateRedis, Stack

FULL = os.environ.get("FAULTS_FULL") == "1"
TEMPLATE = "handoff_faults_template"


def volume(ci: int, full: int) -> int:
    return full if FULL else ci


@pytest.fixture(scope="session")
def private_pg(tmp_path_factory):
    # Not under pytest's folder: that one is private to this user, and the server may
    # run as the postgres user.
    pg = PrivatePostgres(Path(tempfile.mkdtemp(prefix="handoff-faults-pg-")))
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    redis = PrivateRedis(tmp_path_factory.mktemp("redis"))
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture(scope="session")
def migrated_template(private_pg, private_redis, tmp_path_factory):
    """A migrated database each test copies, and the collected static files for gunicorn."""
    private_pg.execute(f"CREATE DATABASE {TEMPLATE}")
    stack = Stack(private_pg, private_redis, TEMPLATE, tmp_path_factory.mktemp("template"))
    for command in (["migrate", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=stack.env, check=True)
    return TEMPLATE


@pytest.fixture
def stack(private_pg, private_redis, migrated_template, tmp_path):
    name = f"handoff_faults_{uuid.uuid4().hex[:8]}"
    private_pg.execute(f"CREATE DATABASE {name} TEMPLATE {migrated_template}")
    stack = Stack(private_pg, private_redis, name, tmp_path)
    try:
        yield stack
    finally:
        stack.stop_all()
        private_pg.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
