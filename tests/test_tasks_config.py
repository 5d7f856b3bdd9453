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


def test_the_worker_watchdog_counts_every_list_kombu_queues_tasks_in():
    """config/watchdog.py reads kombu's Redis lists itself: the same priority steps and
    separator, so a waiting task of any priority counts."""
    from kombu.transport.redis import Channel

    from config import watchdog

    assert list(watchdog.PRIORITY_STEPS) == list(Channel.priority_steps)
    assert Channel.sep == watchdog.PRIORITY_SEPARATOR

    class Pipe:
        keys: list[str] = []

        def llen(self, key):
            self.keys.append(key)

        def execute(self):
            return [1] * len(self.keys)

    class Client:
        def pipeline(self):
            return Pipe()

    assert watchdog.waiting_tasks(Client(), ["celery"]) == 4
    # kombu's Channel._q_for_pri: the queue itself for step 0, "<queue><sep><step>" after.
    assert Pipe.keys == ["celery", "celery\x06\x163", "celery\x06\x166", "celery\x06\x169"]


def test_the_worker_watchdog_waits_for_all_three_signs():
    from config.watchdog import stuck

    assert stuck(waiting=3, busy=1, concurrency=2, idle_seconds=61, limit=60)
    assert not stuck(waiting=0, busy=0, concurrency=2, idle_seconds=600, limit=60)  # idle
    assert not stuck(waiting=3, busy=2, concurrency=2, idle_seconds=600, limit=60)  # all busy
    assert not stuck(waiting=3, busy=0, concurrency=2, idle_seconds=30, limit=60)  # too soon


def test_a_stops_follow_up_tasks_queue_behind_the_next_stops():
    """A STOP's confirmation (dispatch, send, receipts) is queued without a priority:
    it must come after opt-outs (0) and before ordinary inbound texts (6)."""
    from messaging import inbound, tasks

    for task in (tasks.dispatch_batch, tasks.send_messages, tasks.loopback_receipts):
        assert inbound.KEYWORD_PRIORITY < task.priority < inbound.MESSAGE_PRIORITY, task.name
    options = tasks.send_messages._get_exec_options()
    assert options["priority"] == 3
