"""config/gunicorn.py as gunicorn reads it: the web workers freeze what they keep.

Without it a full garbage collection walked every object of the loaded application
(50-100 ms, one request in about 150); see the hooks' comment in the file.
"""

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

CONFIG = Path(__file__).resolve().parent.parent / "config" / "gunicorn.py"


@pytest.fixture
def cfg():
    """The settings file loaded into gunicorn's own Config, which checks each hook."""
    config = Config()
    for name, value in runpy.run_path(str(CONFIG)).items():
        if name in config.settings:
            config.set(name, value)
    gc.unfreeze()
    yield config
    gc.unfreeze()


def test_a_worker_freezes_the_loaded_application_once_it_is_up(cfg):
    assert gc.get_freeze_count() == 0
    cfg.post_worker_init(SimpleNamespace(nr=0))
    assert gc.get_freeze_count() > 10_000  # Django, the project, pytest: all of it


def test_a_worker_freezes_again_after_its_first_requests_only(cfg):
    frozen_at, kept = [], []
    for nr in range(1, 1002):
        kept.append([nr])  # what a request leaves for the worker's lifetime
        before = gc.get_freeze_count()
        cfg.post_request(SimpleNamespace(nr=nr), None, {}, None)
        if gc.get_freeze_count() > before:
            frozen_at.append(nr)
    assert frozen_at == [1, 10, 100, 1000]
