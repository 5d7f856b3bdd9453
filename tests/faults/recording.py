"""A loopback gateway that writes down every hand-over, so a test can count sends per message.

Each ``send`` appends one line ``message id <TAB> idempotency key`` to the file named
by ``FAULTS_SEND_LOG`` with a single ``write`` on a file opened in append mode: the
line is in the kernel as soon as ``send`` returns, so a SIGKILL a moment later does
not erase it. Two lines for one message mean it was handed over twice.
"""

from __future__ import annotations

import os

from messaging.gateways import LoopbackGateway, idempotency_key


class RecordingGateway(LoopbackGateway):
    """Records every hand-over; like a provider without idempotency keys, so a crash
    between hand-over and ``sent`` must not lead to a second hand-over. No receipts:
    they are not what these tests are about, and they would double the run."""

    idempotent = False
    _fd: int | None = None

    def after_send(self, messages) -> None:
        pass

    def send(self, message, text: str) -> str:
        if RecordingGateway._fd is None:
            RecordingGateway._fd = os.open(
                os.environ["FAULTS_SEND_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
            )
        os.write(RecordingGateway._fd, f"{message.pk}\t{idempotency_key(message)}\n".encode())
        return super().send(message, text)


def read_sends(path) -> dict[int, int]:
    """Hand-overs per message id, from a send log."""
    counts: dict[int, int] = {}
    if not os.path.exists(path):
        return counts
    with open(path) as log:
        for line in log:
            message_id = int(line.split("\t", 1)[0])
            counts[message_id] = counts.get(message_id, 0) + 1
    return counts
