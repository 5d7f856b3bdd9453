"""Settings read from the environment, checked in a fresh interpreter each time."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "d = settings.DATABASES['default']; print(json.dumps({"
    "'engine': d['ENGINE'], 'name': str(d['NAME']), 'debug': settings.DEBUG, "
    "'broker': settings.CELERY_BROKER_URL, 'cache': settings.CACHES['default']['BACKEND'], "
    "'secure_cookie': settings.SESSION_COOKIE_SECURE, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'hosts': settings.ALLOWED_HOSTS, 'tz': settings.TIME_ZONE}))"
)
CLEAN = {
    k: v
    for k, v in os.environ.items()
    if k
    not in {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "TIME_ZONE",
        "DJANGO_SETTINGS_MODULE",
    }
}


def run(env: dict, code: str = PROBE) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**CLEAN, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        timeout=60,
    )


def probe(env: dict) -> dict:
    result = run(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_need_no_server():
    values = probe({"DEBUG": "true"})
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("var/handoff.sqlite3")
    assert values["broker"] == "filesystem://"
    assert values["cache"].endswith("FileBasedCache")
    assert values["secure_cookie"] is False
    assert values["tz"] == "UTC"


def test_production_environment_is_read():
    values = probe(
        {
            "SECRET_KEY": "x" * 60,
            "DATABASE_URL": "postgres://u:p@db.internal:5432/handoff",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "ALLOWED_HOSTS": "handoff.example.com, www.handoff.example.com",
            "TIME_ZONE": "Europe/Madrid",
        }
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "handoff"
    assert values["broker"] == "redis://cache.internal:6379/0"
    assert values["cache"].endswith("RedisCache")
    assert values["debug"] is False
    assert values["secure_cookie"] is True and values["hsts"] >= 31536000
    assert values["hosts"] == ["handoff.example.com", "www.handoff.example.com"]
    assert values["tz"] == "Europe/Madrid"


def test_debug_off_refuses_to_start_without_secret_key():
    result = run({})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_refuses_the_development_key():
    result = run({"SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production"})
    assert result.returncode != 0
    assert "development SECRET_KEY" in result.stderr


def test_check_deploy_passes_with_production_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **CLEAN,
            "SECRET_KEY": "k" * 64 + "-Production-Like-Secret-2026",
            "ALLOWED_HOSTS": "handoff.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
