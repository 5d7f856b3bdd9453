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
