"""Settings of the processes the fault tests start (gunicorn, workers): production settings
(``DEBUG`` off, PostgreSQL, Redis) with a gateway that records every hand-over."""

from config.settings import *  # noqa: F403

MESSAGING_GATEWAY = "tests.faults.recording.RecordingGateway"
MESSAGING_LOOPBACK_RECEIPT_DELAY = 1
