"""The Procfile's web process: gunicorn with two sync workers per core unless told otherwise."""

import multiprocessing
import runpy

from config.settings import BASE_DIR

CONFIG = str(BASE_DIR / "config" / "gunicorn.py")


def test_two_workers_per_core_by_default(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PORT", "5005")
    settings = runpy.run_path(CONFIG)
    assert settings["workers"] == 2 * multiprocessing.cpu_count()
    assert settings["bind"] == "0.0.0.0:5005"
    assert settings["wsgi_app"] == "config.wsgi"


def test_web_concurrency_sets_the_workers(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(CONFIG)["workers"] == 3


def test_the_procfile_uses_it():
    web = next(
        line for line in (BASE_DIR / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    assert web.split(":", 1)[1].split() == ["gunicorn", "-c", "config/gunicorn.py"]


def test_the_workers_run_requests_clear_of_frame_stack_boundaries(monkeypatch):
    monkeypatch.setattr("sys.version_info", (3, 11, 7))
    assert runpy.run_path(CONFIG)["worker_class"] == "config.roomy_stack.RoomySyncWorker"
    monkeypatch.setattr("sys.version_info", (3, 13, 0))  # CPython fixed it there
    assert runpy.run_path(CONFIG)["worker_class"] == "sync"


def test_the_roomy_caller_passes_arguments_and_results_through():
    from config.roomy_stack import SLOTS, call_in_roomy_chunk

    assert call_in_roomy_chunk(divmod, 17, 5) == (3, 2)
    assert call_in_roomy_chunk.__code__.co_nlocals >= SLOTS  # the room is in its frame


def test_gunicorn_boots_the_configured_worker_and_serves_a_page(tmp_path):
    """The Procfile's command, for real: the roomy sync worker answers HTTP."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", CONFIG, "--log-level", "info"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/") as page:
                    assert page.status == 200 and b"password" in page.read().lower()
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(log.read_text())
    finally:
        server.terminate()
        server.wait(10)
    assert "Using worker: config.roomy_stack.RoomySyncWorker" in log.read_text()
