"""config.cache.RedisCache: Django's Redis cache keeping one redis-py client per pool."""

import pytest
from django.conf import settings

from config.cache import RedisCache

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache():
    cache = RedisCache(settings.REDIS_URL, {"KEY_PREFIX": "test-config-cache"})
    yield cache
    cache.clear()


def test_it_keeps_its_client_and_still_works(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is client
    redis_cache.set("a", {"b": 1}, 30)
    assert redis_cache.get_many(["a", "missing"]) == {"a": {"b": 1}}
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert redis_cache._cache.get_client() is client
