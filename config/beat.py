"""Every periodic task, in one place, each with when and why.

Later issues add their entries here (interception expiry, scheduled batches,
soft-bounce windows ...).
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Every 5 minutes: writes a heartbeat the home page shows to platform staff,
    # so a stopped worker or beat is noticed within minutes.
    "worker-heartbeat": {"task": "accounts.tasks.record_heartbeat", "schedule": 300.0},
    # Every minute: imports whose worker died (no heartbeat for 5 minutes) become failed.
    "fail-stale-imports": {"task": "blocklists.tasks.fail_stale_imports", "schedule": 60.0},
    # Every minute: delete expired interceptions and log their expiry. Checks compare
    # expires_at with now, so this only bounds the table's size and the log's delay.
    "expire-interceptions": {"task": "blocklists.tasks.expire_interceptions", "schedule": 60.0},
    # Every 30 seconds: programmed batches whose time has come are dispatched (the
    # claim in messaging.services.claim_batch keeps two runs from sending one batch twice).
    "dispatch-due-batches": {
        "task": "messaging.tasks.dispatch_due_batches",
        "schedule": 30.0,
    },
    # Every minute: inbound messages still unprocessed a minute after they were stored
    # (broker down at commit, retries exhausted) are queued again; the claim on
    # processed_at keeps a message from being processed twice.
    "requeue-unprocessed-inbound": {
        "task": "messaging.tasks.requeue_unprocessed_inbound",
        "schedule": 60.0,
    },
    # Every minute: batches never dispatched and messages left ``sending`` for 5 minutes
    # (their task died with a killed worker, or the broker was down) are queued again;
    # the batch claim and the ``sending`` status keep a message from going out twice.
    "requeue-stalled-sends": {
        "task": "messaging.tasks.requeue_stalled_sends",
        "schedule": 60.0,
    },
    # Every minute: fold the rows the message-count triggers add into one per hour and
    # status (messaging.counts). Counts are exact either way; this keeps them small.
    "compact-message-counts": {
        "task": "messaging.tasks.compact_message_counts",
        "schedule": 60.0,
    },
    # Every night at 03:30 UTC: delete messages older than each organization's retention
    # (default 90 days). Blocklists, active interceptions and audit logs are never purged.
    "purge-old-messages": {
        "task": "messaging.tasks.purge_old_messages",
        "schedule": crontab(hour=3, minute=30),
    },
}
