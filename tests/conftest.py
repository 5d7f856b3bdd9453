"""Personas, the same in every test module (after healthchecks' alice, bob, charlie).

``org`` is the organization under test with an agent, a supervisor and an
admin; ``other_org`` has its own agent and admin, to prove isolation; ``staff``
is platform staff without an organization.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, SenderFactory, UserFactory


def pytest_collection_modifyitems(config, items):
    """Deselect, not skip, what this run's services can't run.

    Without REDIS_URL (the SQLite run), tests marked ``redis``; without a PostgreSQL
    DATABASE_URL, tests marked ``postgresql``.
    """
    absent = set()
    if not os.environ.get("REDIS_URL"):
        absent.add("redis")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        absent.add("postgresql")
    kept = [item for item in items if not any(item.get_closest_marker(m) for m in absent)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme", slug="acme", country="US")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Other Inc", slug="other", country="US")


def _member(username, organization, role):
    return MembershipFactory(
        user=UserFactory(username=username), organization=organization, role=role
    ).user


@pytest.fixture
def agent(org):
    return _member("alice-agent", org, Role.AGENT)


@pytest.fixture
def supervisor(org):
    return _member("bob-supervisor", org, Role.SUPERVISOR)


@pytest.fixture
def admin_user(org):
    return _member("carol-admin", org, Role.ADMIN)


@pytest.fixture
def other_agent(other_org):
    return _member("dave-other-agent", other_org, Role.AGENT)


@pytest.fixture
def other_admin(other_org):
    return _member("erin-other-admin", other_org, Role.ADMIN)


@pytest.fixture
def staff(db):
    return UserFactory(username="frank-staff", is_staff=True, is_superuser=True)


@pytest.fixture
def login():
    """``login(user)`` returns a test client logged in as ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def sender(org):
    return SenderFactory(organization=org, address="52811", name="Acme short code")


@pytest.fixture
def other_sender(other_org):
    return SenderFactory(organization=other_org, address="52999", name="Other short code")


def _database_url() -> str:
    """The URL of the test database, for a worker process started by a test."""
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A real Celery worker process on the configured broker and the test database.

    It listens on a queue of its own so a developer's running worker never
    takes the tests' tasks. Tests that use it need committed data
    (``transactional_db``).
    """
    from config.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
    }
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                queue,
                "--loglevel=INFO",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
