import pytest
from django.core.cache import cache
from django.urls import reverse


@pytest.fixture(autouse=True)
def fresh_counters(settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_SECONDS = 600
    cache.delete_many(
        [f"login-failures:user:{u}" for u in ("alice-agent", "bob-supervisor")]
        + ["login-failures:addr:127.0.0.1"]
    )
    yield
    cache.delete_many(
        [f"login-failures:user:{u}" for u in ("alice-agent", "bob-supervisor")]
        + ["login-failures:addr:127.0.0.1"]
    )


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_locked_after_repeated_failures_even_with_the_right_password(client, agent):
    for _ in range(3):
        assert attempt(client, "alice-agent", "wrong").status_code == 200
    response = attempt(client, "alice-agent", "test-password")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302  # not logged in


def test_success_before_the_limit_resets_the_count(client, agent):
    attempt(client, "alice-agent", "wrong")
    attempt(client, "alice-agent", "wrong")
    assert attempt(client, "alice-agent", "test-password").status_code == 302
    client.post(reverse("logout"))
    attempt(client, "alice-agent", "wrong")
    assert attempt(client, "alice-agent", "test-password").status_code == 302


def test_password_change_logs_out_other_sessions(client, login, agent):
    other = login(agent)
    assert other.get(reverse("home")).status_code == 200
    agent.set_password("a-new-password-2026")
    agent.save()
    assert other.get(reverse("home")).status_code == 302
