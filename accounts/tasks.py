from celery import shared_task

from accounts import services


@shared_task
def ping(value: str) -> str:
    """Round trip check: returns what it was given, proving a worker consumed it."""
    return f"pong:{value}"


@shared_task(ignore_result=True)
def record_heartbeat() -> None:
    services.record_heartbeat(name="beat")
