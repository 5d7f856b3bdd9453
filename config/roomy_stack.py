"""gunicorn's sync worker with room on its frame stack: a workaround for CPython
3.11's frame-stack thrash (gh-142183, fixed in 3.13).

Python 3.11 keeps frames in chunks of 16 KB and frees a chunk as soon as its last
frame returns. When a hot call sits on a chunk boundary, every call maps a new chunk
and every return unmaps it. In gunicorn's sync worker that was 5,600 ``mmap`` and
``munmap`` pairs per search page, and those pages took twice to three times as long
as the same request in a thread (docs/performance.md, "Where the time goes"). Where
the boundary falls depends on how deep the worker's loop sits: ``python -m gunicorn``
has it on Message Lookup and SMS Status, the ``gunicorn`` script did not.

``RoomySyncWorker`` runs the worker's loop from a function whose frame is about
136 KB (17,000 local slots, never assigned). Python puts a frame that big at the
start of a new 256 KB chunk, and every frame of every request follows it in that
chunk: about 120 KB of room, far deeper than any page goes, so no request crosses a
boundary. It is set up once per worker process: requests pay nothing for it.
"""

from __future__ import annotations

from gunicorn.workers.sync import SyncWorker

# 17,000 pointers: 136 KB. Python doubles a new chunk from 16 KB until the frame fits.
SLOTS = 17_000


def _roomy_caller():
    names = " = ".join(f"_{i}" for i in range(SLOTS))
    source = (
        "def call_in_roomy_chunk(function, *args):\n"
        "    if False:  # locals that only take room in the frame\n"
        f"        {names} = None\n"
        "    return function(*args)\n"
    )
    namespace: dict = {}
    exec(compile(source, "<roomy_stack>", "exec"), namespace)  # noqa: S102 (generated above)
    return namespace["call_in_roomy_chunk"]


call_in_roomy_chunk = _roomy_caller()


class RoomySyncWorker(SyncWorker):
    """gunicorn's sync worker, its loop (and so every request) in a roomy chunk."""

    def run(self):
        return call_in_roomy_chunk(super().run)
