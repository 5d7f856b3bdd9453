"""Every task can actually be sent: its soft time limit fits under its hard one.

Celery refuses to send a task whose soft limit (its own or the global default of
55 minutes) exceeds its hard limit; beat then logs an error every minute and the
task never runs. Found when a 60-second task inherited the 55-minute soft limit.
"""

from django.conf import settings

from config.celery import app


def test_soft_limits_fit_under_hard_limits():
    app.loader.import_default_modules()
    wrong = {}
    for name, task in app.tasks.items():
        if name.startswith("celery."):
            continue
        hard = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        soft = task.soft_time_limit or settings.CELERY_TASK_SOFT_TIME_LIMIT
        if soft > hard:
            wrong[name] = (soft, hard)
    assert wrong == {}


def test_every_beat_entry_names_a_registered_task():
    from config.beat import BEAT_SCHEDULE

    app.loader.import_default_modules()
    assert {entry["task"] for entry in BEAT_SCHEDULE.values()} <= set(app.tasks)
