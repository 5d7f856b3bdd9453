"""Private servers and application processes for the fault tests.

A PostgreSQL cluster of its own (``initdb`` in a temporary folder, run as the
``postgres`` user when the tests run as root) and a Redis of its own, on free
ports, so a test may stop and start them without touching the shared servers
other people use. Application processes (gunicorn, Celery workers) run in their
own session so a test can SIGKILL a whole worker (parent and children) at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        folder.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            shutil.chown(folder, "postgres")
        self._run(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-N")

    def _run(self, *args) -> None:
        subprocess.run(
            [*self.as_postgres, *map(str, args)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.folder / "log", "-w",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def query(self, dbname: str, sql: str, params=None) -> list[tuple]:
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, 10, "redis-server")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Stack:
    """One application (database, broker, gunicorn, workers) on the private servers."""

    def __init__(self, pg: PrivatePostgres, redis: PrivateRedis, name: str, folder: Path):
        self.pg, self.redis, self.name, self.folder = pg, redis, name, folder
        self.send_log = folder / "sends.log"
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.settings",
            "DEBUG": "false",
            "SECRET_KEY": "faults-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": pg.url(name),
            "REDIS_URL": redis.url(0),
            "CELERY_QUEUE": f"faults-{name}",
            "HANDOFF_VAR_DIR": str(folder / "var"),
            "MEDIA_ROOT": str(folder / "media"),
            "STATIC_ROOT": str(folder.parent / "static"),
            "FAULTS_SEND_LOG": str(self.send_log),
            "PYTHONPATH": str(REPO),
        }

    def action(self, *args) -> dict:
        result = subprocess.run(
            [sys.executable, "-m", "tests.faults.actions", *map(str, args)],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = open(self.folder / log_name, "ab")  # noqa: SIM115 - the process's life
        process = subprocess.Popen(
            args, cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def start_worker(self, concurrency: int = 2, log_name: str = "worker.log") -> subprocess.Popen:
        log = self.folder / log_name
        seen = log.read_bytes().count(b"ready.") if log.exists() else 0
        process = self.start(
            [sys.executable, "-m", "celery", "-A", "config", "worker",
             f"--concurrency={concurrency}", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "-Q", self.env["CELERY_QUEUE"], "--loglevel=INFO"],
            log_name,
        )  # fmt: skip
        wait_for(
            lambda: log.read_bytes().count(b"ready.") > seen or process.poll() is not None,
            60,
            "the Celery worker",
        )
        assert process.poll() is None, log.read_text()[-3000:]
        return process

    def start_gunicorn(self, workers: int = 2) -> int:
        port = free_port()
        self.start(
            [str(BIN / "gunicorn"), "-c", "config/gunicorn.py", "-w", str(workers), "--bind",
             f"127.0.0.1:{port}", "--keep-alive", "75", "--graceful-timeout", "5"],
            "gunicorn.log",
        )  # fmt: skip

        def up() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(up, 60, "gunicorn")
        return port

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the process and its children (a crash: nothing runs after it)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def query(self, sql: str, params=None) -> list[tuple]:
        return self.pg.query(self.name, sql, params)

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]
