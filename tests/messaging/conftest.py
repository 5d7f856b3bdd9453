"""Fixtures for messaging: tasks run in-process (eagerly) unless a test starts a worker."""

from __future__ import annotations

import pytest

from accounts.tokens import create_token
from messaging import services
from messaging.models import Trigger
from tests.factories import SubaccountFactory


@pytest.fixture(autouse=True)
def eager(request):
    """Celery tasks run in the test's process, as soon as they are queued.

    Autouse so that no test here leaves a task on the shared broker (where a
    developer's worker would run it against their own database); only the
    end-to-end test with a real worker publishes.
    """
    from config.celery import app

    if "celery_worker_process" in request.fixturenames:
        yield
        return

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def team(org):
    return SubaccountFactory(organization=org, name="Care team")


@pytest.fixture
def make_batch(sender):
    """``make_batch(numbers, text=..., **kwargs)``: a batch through the service, not dispatched."""

    def make(numbers, text="Hello from Acme", **kwargs):
        kwargs.setdefault("organization", sender.organization)
        kwargs.setdefault("sender", sender)
        kwargs.setdefault("trigger", Trigger.API)
        return services.create_batch(subscribers=numbers, text=text, **kwargs)

    return make


@pytest.fixture
def api_token(org):
    token, secret = create_token(organization=org, name="tests")
    return secret


@pytest.fixture
def other_api_token(other_org):
    token, secret = create_token(organization=other_org, name="other tests")
    return secret


@pytest.fixture
def api(client, api_token):
    """``api.post(path, json)`` / ``api.get(path, params)`` with the org's bearer token."""

    class Api:
        def __init__(self, secret):
            self.headers = {"Authorization": f"Bearer {secret}"}

        def post(self, path, data, secret=None):
            headers = {"Authorization": f"Bearer {secret}"} if secret else self.headers
            return client.post(
                "/api/v1" + path, data, content_type="application/json", headers=headers
            )

        def get(self, path, params, secret=None):
            headers = {"Authorization": f"Bearer {secret}"} if secret else self.headers
            return client.get("/api/v1" + path, params, headers=headers)

    return Api(api_token)


@pytest.fixture
def database_down(monkeypatch):
    """``database_down("token")`` or ``("store")``: that step of an inbound call finds
    PostgreSQL unreachable (reading the API token, or storing the message)."""
    from django.db import OperationalError

    from messaging import api as api_module
    from messaging import inbound

    def down(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    def make(where: str) -> None:
        if where == "token":
            monkeypatch.setattr(api_module, "authenticate", down)
        else:
            monkeypatch.setattr(inbound, "receive_inbound", down)

    return make
