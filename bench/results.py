"""Where the benchmarks leave their figures, and how docs/performance.md gets its table.

Each benchmark calls ``record()`` for the figures it measured; ``make bench``
empties the file first and ends with ``python bench/scale.py report``, which
rewrites the side-by-side table in docs/performance.md from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(os.environ.get("BENCH_RESULTS", REPO / "var" / "bench" / "results.jsonl"))


def command_line() -> str:
    """The command that produced a figure, as someone would type it again."""
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO)
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


def record(operation: str, measure: str, handoff: str, comparison: str = "", **extra) -> None:
    """One row of the side-by-side table: our figure next to the comparison's."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    row = {
        "operation": operation,
        "measure": measure,
        "handoff": handoff,
        "comparison": comparison,
        "command": command_line(),
        **extra,
    }
    with RESULTS.open("a") as out:
        out.write(json.dumps(row) + "\n")
    print(f"[recorded] {operation} | {measure} | {handoff} | {comparison}", flush=True)


def read() -> list[dict]:
    if not RESULTS.exists():
        return []
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def machine() -> str:
    cores = os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    return f"{cores} cores{memory}, {platform.system()} {platform.release()}"


def peak_rss_mb(pid: int) -> float:
    """The peak resident memory (VmHWM) of a process, in MB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """The process's direct children (gunicorn's workers, a Celery pool's processes)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []
