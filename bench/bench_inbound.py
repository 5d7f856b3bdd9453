"""Inbound webhook under load: gunicorn + a real Celery worker on Redis + PostgreSQL.

1. **Paced**: ``--rate`` inbound messages/s for ``--seconds`` (10% STOP, each from
   its own number), from threads holding keep-alive ``http.client`` connections
   on loopback. For each STOP: the time from its 202 to the first
   ``POST /api/v1/suppressions/check`` (polled every 50 ms) that says blocked
   (a stored STOP counts before the worker applies it), and to the first that
   says so from the blocklist entry the worker wrote (no ``pending`` reason).
   Afterwards: stored inbound messages == 202 answers, all processed.
2. **Max**: the worker stopped, unpaced clients for ``--max-seconds`` (``wrk``
   with ``--connections`` when it is installed, else ``--threads`` Python
   clients): requests/s and latency percentiles of the endpoint alone, and the
   CPU time gunicorn and its PostgreSQL backends spent per request (from
   /proc), which says what the endpoint costs whatever else shares the machine:
   2 cores / CPU per request is its ceiling on an otherwise idle machine.

The load generator runs on the same 2 cores as gunicorn, the worker and
PostgreSQL, so the figures are a floor. Run (drops and recreates the scratch DB):

    createdb -h 127.0.0.1 -U postgres handoff_bench_inbound   # once; recreated anyway
    .venv/bin/python bench/bench_inbound.py [--rate 200] [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_INBOUND_DB", "handoff_bench_inbound")
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
QUEUE = f"bench-inbound-{uuid.uuid4().hex[:6]}"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-inbound-" + "x" * 50,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CELERY_QUEUE": QUEUE,
}
os.environ.update(ENV)
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    return (
        f"n {len(samples)}  p50 {statistics.median(samples) * 1000:.1f} ms  "
        f"p95 {percentile(samples, 0.95) * 1000:.1f} ms  "
        f"p99 {percentile(samples, 0.99) * 1000:.1f} ms  max {max(samples) * 1000:.1f} ms"
    )


def recreate_database() -> None:
    for cmd in (
        ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", DB],
        ["createdb", "-h", "127.0.0.1", "-U", "postgres", DB],
    ):
        subprocess.run(cmd, check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=ENV, check=True
    )


def seed() -> tuple[str, int]:
    import django

    django.setup()
    from accounts.models import Organization, Sender
    from accounts.tokens import create_token

    org = Organization.objects.create(name="Bench Inbound", slug="bench-inbound", country="US")
    sender = Sender.objects.create(
        organization=org, kind="sms_short_code", address="52811", name="Bench"
    )
    _token, secret = create_token(organization=org, name="bench")
    return secret, sender.pk


def start(args: list[str], log: Path) -> subprocess.Popen:
    out = open(log, "wb")  # noqa: SIM115 (kept open for the process's life)
    return subprocess.Popen(args, cwd=REPO, env=ENV, stdout=out, stderr=subprocess.STDOUT)


class Client:
    """One keep-alive connection to gunicorn."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        data = json.dumps(body)
        for attempt in (1, 2):
            try:
                self.conn.request("POST", "/api/v1" + path, data, self.headers)
                response = self.conn.getresponse()
                return response.status, json.loads(response.read() or b"{}")
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def number(i: int) -> str:
    return f"+1415{2000000 + i:07d}"


def wait_ready(port: int, secret: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            Client(port, secret).post("/suppressions/check", {"sender": "52811", "to": [number(0)]})
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def wait_worker(deadline: float) -> None:
    """Until the worker answers a task: its start is not part of any figure."""
    from accounts.tasks import ping

    while time.monotonic() < deadline:
        try:
            if ping.apply_async(("up",), queue=QUEUE).get(timeout=10) == "pong:up":
                return
        except Exception:  # not up yet: the task waits in the queue meanwhile
            continue
    raise RuntimeError("the worker did not start")


def paced(port: int, secret: str, rate: int, seconds: int, threads: int) -> dict:
    total = rate * seconds
    lock = threading.Lock()
    cursor = iter(range(total))
    accepted: list[int] = []
    latencies: list[float] = []
    stops: dict[str, float] = {}  # number -> time of its 202
    blocked_after: dict[str, float] = {}  # the check says blocked (stored STOPs count)
    listed_after: dict[str, float] = {}  # ... because of the entry the worker wrote
    errors: list[str] = []
    t0 = time.monotonic() + 0.5

    def send() -> None:
        client = Client(port, secret)
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            due = t0 + i / rate
            if (delay := due - time.monotonic()) > 0:
                time.sleep(delay)
            is_stop = i % 10 == 0
            subscriber = number(100_000 + i) if is_stop else number(i % 5_000)
            body = {
                "sender": "52811",
                "from": subscriber,
                "text": "STOP" if is_stop else f"Question {i}",
                "channel": "sms",
                "provider_message_id": f"paced-{i}",
            }
            started = time.monotonic()
            try:
                status, answer = client.post("/inbound", body)
            except Exception as exc:  # counted, not raised: the figures say what failed
                with lock:
                    errors.append(repr(exc))
                continue
            done = time.monotonic()
            with lock:
                latencies.append(done - started)
                if status == 202:
                    accepted.append(answer["id"])
                    if is_stop:
                        stops[subscriber] = done
                else:
                    errors.append(f"{status} {answer}")

    stop_polling = threading.Event()

    def poll() -> None:
        client = Client(port, secret)
        while not stop_polling.is_set():
            with lock:
                pending = [n for n in stops if n not in listed_after]
            if pending:
                _status, answer = client.post(
                    "/suppressions/check", {"sender": "52811", "to": pending}
                )
                now = time.monotonic()
                with lock:
                    for n, reasons in answer.get("blocked", {}).items():
                        blocked_after.setdefault(n, now - stops[n])
                        # "pending": stored, the worker has not written the entry yet.
                        if any(not r.get("pending") for r in reasons):
                            listed_after.setdefault(n, now - stops[n])
            time.sleep(0.05)

    workers = [threading.Thread(target=send) for _ in range(threads)]
    poller = threading.Thread(target=poll)
    poller.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - t0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(listed_after) < len(stops):
        time.sleep(0.1)
    stop_polling.set()
    poller.join()
    return {
        "sent": total,
        "accepted": len(accepted),
        "elapsed": elapsed,
        "latencies": latencies,
        "stops": len(stops),
        "blocked": list(blocked_after.values()),
        "listed": list(listed_after.values()),
        "errors": errors,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (processes gone count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def web_pids(master: int) -> list[int]:
    """gunicorn's master and its workers."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == master:
                        children.append(int(entry))
            except OSError:
                continue
    return [master, *children]


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving the bench database, this script's own excluded."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB],
        )
        return [row[0] for row in cursor.fetchall()]


WRK_SCRIPT = """
local counter = 0
local tag = ""
function setup(thread)
  thread:set("tag", tostring(math.random(1, 1000000000)))
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"sender":"52811","from":"+1415%07d","text":"Hello","channel":"sms",' ..
    '"provider_message_id":"wrk-%s-%d"}', 2010000 + (counter % 50000), tag, counter)
  return wrk.format("POST", "/api/v1/inbound",
    {["Content-Type"]="application/json", ["Authorization"]="Bearer " .. SECRET}, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK requests=%d seconds=%.3f non2xx=%d errors=%d\\n",
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("WRK p%d=%.3f\\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("WRK max=%.3f\\n", latency.max / 1000))
end
"""


def unpaced_wrk(port: int, secret: str, seconds: int, connections: int, logs: Path) -> dict:
    """wrk (C, a few % of one core) against the endpoint: the fairest load generator here."""
    script = logs / "inbound.lua"
    script.write_text(f'local SECRET = "{secret}"\n' + WRK_SCRIPT)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    wrk_lines = "\n".join(line for line in out.splitlines() if line.startswith("WRK "))
    found = dict(re.findall(r"(\w+)=([\d.]+)", wrk_lines))
    return {
        "requests": int(found["requests"]),
        "elapsed": float(found["seconds"]),
        "non_2xx": int(found["non2xx"]),
        "errors": int(found["errors"]),
        "ms": {k: float(found[k]) for k in ("p50", "p95", "p99", "max")},
    }


def unpaced(port: int, secret: str, seconds: int, threads: int) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    end = time.monotonic() + seconds

    def run(k: int) -> None:
        client = Client(port, secret)
        i = 0
        while time.monotonic() < end:
            i += 1
            body = {
                "sender": "52811",
                "from": number(10_000 + (k * 1_000_003 + i) % 50_000),
                "text": "Hello",
                "channel": "sms",
                "provider_message_id": f"max-{k}-{i}",
            }
            started = time.monotonic()
            status, answer = client.post("/inbound", body)
            with lock:
                latencies.append(time.monotonic() - started)
                if status != 202:
                    errors.append(f"{status} {answer}")

    started = time.monotonic()
    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"elapsed": time.monotonic() - started, "latencies": latencies, "errors": errors}


def peak_memory(web: subprocess.Popen, worker: subprocess.Popen) -> str:
    """VmHWM of gunicorn's and the worker's processes (parents and their children)."""

    from results import children, peak_rss_mb

    def tree(pid: int) -> str:
        kids = "/".join(f"{peak_rss_mb(k):.0f}" for k in children(pid))
        return f"{peak_rss_mb(pid):.0f} MB + children {kids} MB"

    return f"gunicorn {tree(web.pid)}; worker {tree(worker.pid)}"


def web_description(args) -> str:
    threads = f" --threads {args.gunicorn_threads}" if args.worker_class == "gthread" else ""
    return f"gunicorn -w {args.gunicorn_workers} -k {args.worker_class}{threads}"


def worker_description(args) -> str:
    nice = f"nice {args.worker_nice} " if args.worker_nice else ""
    return f"{nice}Celery worker (concurrency {args.concurrency})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (max)")
    parser.add_argument("--max-seconds", type=int, default=20)
    # A fixed default port once met another checkout's gunicorn: pick a free one.
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    # sync -w 4 measured best on 2 cores (docs/performance.md); gthread keeps keep-alive
    # connections open but its threads contend for each process's GIL.
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument(
        "--worker-class",
        default="config.roomy_stack.RoomySyncWorker",  # the Procfile's (config/gunicorn.py)
        choices=["config.roomy_stack.RoomySyncWorker", "sync", "gthread"],
    )
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="per gthread worker")
    parser.add_argument("--concurrency", type=int, default=4, help="Celery worker processes")
    # The deployment advice (README): the worker yields the CPU to the web on a shared host.
    parser.add_argument("--worker-nice", type=int, default=10, help="0: the worker not niced")
    parser.add_argument(
        "--max-only", action="store_true", help="no worker, no paced phase: the endpoint alone"
    )
    args = parser.parse_args()
    if not args.port:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.port = probe.getsockname()[1]

    recreate_database()
    secret, sender_id = seed()
    logs = REPO / "var" / "bench-inbound"
    logs.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(sys.executable).parent
    web = start(
        [
            str(bin_dir / "gunicorn"),
            "-c",  # the Procfile's settings and hooks; the options below override them
            "config/gunicorn.py",
            "config.wsgi",
            "-w",
            str(args.gunicorn_workers),
            "--worker-class",
            args.worker_class,
            *(["--threads", str(args.gunicorn_threads)] if args.worker_class == "gthread" else []),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--keep-alive",
            "75",
        ],
        logs / "gunicorn.log",
    )
    niced = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    worker = (
        None
        if args.max_only
        else start(
            [
                *niced,
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                f"--concurrency={args.concurrency}",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                QUEUE,
                "--loglevel=WARNING",
            ],
            logs / "worker.log",
        )
    )
    try:
        wait_ready(args.port, secret, time.monotonic() + 60)
        print(f"web: {web_description(args)}; worker: {worker_description(args)}")
        if not args.max_only:
            wait_worker(time.monotonic() + 120)
            print(f"paced: {args.rate}/s for {args.seconds} s, 10% STOP, {args.threads} threads")
            result = paced(args.port, secret, args.rate, args.seconds, args.threads)
            from django.db import connection

            from messaging.models import Message

            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                pending = Message.objects.filter(direction="inbound", processed_at__isnull=True)
                if not pending.exists():
                    break
                time.sleep(0.5)
            stored = Message.objects.filter(direction="inbound", sender_id=sender_id).count()
            pending = Message.objects.filter(direction="inbound", processed_at__isnull=True)
            unprocessed = pending.count()
            replies = Message.objects.filter(in_reply_to__isnull=False).count()
            connection.close()
            print(f"  achieved {result['sent'] / result['elapsed']:.1f} requests/s")
            print(f"  request latency: {summary(result['latencies'])}")
            print(f"  202 answers {result['accepted']}, stored inbound {stored}")
            print(f"  unprocessed after the run: {unprocessed}")
            print(f"  STOP replies stored {replies} of {result['stops']} STOPs")
            print(f"  STOP 202 -> blocked: {summary(result['blocked'])}")
            print(f"  STOPs never seen blocked: {result['stops'] - len(result['blocked'])}")
            print(f"  STOP 202 -> on the blocklist (worker): {summary(result['listed'])}")
            print(f"  STOPs never seen on the blocklist: {result['stops'] - len(result['listed'])}")
            print(f"  errors: {len(result['errors'])} {result['errors'][:3]}")

            memory = peak_memory(web, worker)  # before the worker stops
            print(f"peak memory: {memory}")
            # The endpoint alone: stop the worker (what it has not processed stays stored).
            worker.terminate()
            worker.wait(timeout=60)
        measured = web_pids(web.pid)
        backends = backend_pids()
        cpu_before = cpu_seconds(measured) + cpu_seconds(backends)
        if shutil.which("wrk"):
            print(f"max: wrk, {args.connections} connections, {args.max_seconds} s, worker stopped")
            top = unpaced_wrk(args.port, secret, args.max_seconds, args.connections, logs)
            count, ms = top["requests"], top["ms"]
            print(f"  {count / top['elapsed']:.1f} requests/s")
            print(
                f"  request latency: p50 {ms['p50']:.1f} ms  p95 {ms['p95']:.1f} ms  "
                f"p99 {ms['p99']:.1f} ms  max {ms['max']:.1f} ms"
            )
            print(f"  non-2xx {top['non_2xx']}, socket errors {top['errors']}")
        else:
            print(f"max: {args.threads} Python clients, {args.max_seconds} s, worker stopped")
            top = unpaced(args.port, secret, args.max_seconds, args.threads)
            count = len(top["latencies"])
            print(f"  {count / top['elapsed']:.1f} requests/s")
            print(f"  request latency: {summary(top['latencies'])}")
            print(f"  errors: {len(top['errors'])} {top['errors'][:3]}")
        backends = sorted(set(backends) | set(backend_pids()))
        spent = cpu_seconds(measured) + cpu_seconds(backends) - cpu_before
        per_request = spent / max(count, 1)
        print(
            f"  CPU per request (gunicorn + its PostgreSQL backends): {per_request * 1000:.2f} ms"
            f" -> ceiling on 2 idle cores about {2 / per_request:.0f} requests/s"
        )
        if args.max_only:
            return
        import results

        results.record(
            f"Inbound at {args.rate}/s with 10% STOP",
            f"webhook to blocked, {web_description(args)} + {worker_description(args)}, "
            f"{args.seconds} s; then the endpoint alone",
            f"reached {result['sent'] / result['elapsed']:.1f} requests/s; request "
            f"{summary(result['latencies'])}; STOP 202 → blocked {summary(result['blocked'])}; "
            f"STOP 202 → on the blocklist (worker) {summary(result['listed'])}; "
            f"alone {count / max(top['elapsed'], 1e-9):.1f} requests/s, "
            f"{per_request * 1000:.1f} ms CPU per request",
            f"{memory}; errors {len(result['errors'])}",
        )
    finally:
        processes = [process for process in (web, worker) if process is not None]
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
