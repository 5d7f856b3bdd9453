"""The demo data: batches in several statuses for Demo Co, idempotent."""

from __future__ import annotations

from accounts.demo import seed_accounts
from messaging.demo import seed_messaging
from messaging.models import Batch, Message


def test_seed_messaging_is_idempotent(db, eager, django_capture_on_commit_callbacks):
    seed_accounts()
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_messaging() == 4
    assert seed_messaging() == 0
    assert Batch.objects.count() == 4
    statuses = set(Message.objects.values_list("status", flat=True))
    assert {"delivered", "send_failed", "process_failed", "programmed", "cancelled"} <= statuses
