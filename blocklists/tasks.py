"""Celery entry points of the blocklists app: thin, they take ids and call services."""

from celery import shared_task

from blocklists import import_services


# acks_late: a worker killed mid-import leaves the message to be delivered again,
# and run_import takes the job over once its heartbeat is stale.
@shared_task(acks_late=True, ignore_result=True, time_limit=3 * 60 * 60, soft_time_limit=175 * 60)
def import_blocklist_csv(job_id: int) -> None:
    """Run one CSV import job (see ``import_services.run_import``)."""
    import_services.run_import(job_id=job_id)


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def fail_stale_imports() -> None:
    """Mark failed the imports whose worker died, so a person can run them again."""
    import_services.fail_stale_imports()


@shared_task(ignore_result=True, time_limit=15 * 60, soft_time_limit=14 * 60)
def expire_interceptions() -> None:
    """Tidy expired interceptions and log their expiry (they stopped blocking already)."""
    from blocklists.interceptions import expire_interceptions as expire

    expire()
