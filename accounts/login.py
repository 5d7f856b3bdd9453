"""Login with protection against password guessing.

After ``LOGIN_MAX_FAILURES`` failed attempts for one username (from any
address) or from one address (for any username) within
``LOGIN_LOCKOUT_SECONDS``, further attempts are refused without checking the
password until the window passes. Counters live in the shared cache (Redis in
production), so every web process sees them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.http import HttpResponse


def _max_failures() -> int:
    return getattr(settings, "LOGIN_MAX_FAILURES", 5)


def _window() -> int:
    return getattr(settings, "LOGIN_LOCKOUT_SECONDS", 15 * 60)


def client_address(request) -> str:
    """The client's address; behind our proxy, the one it appended to X-Forwarded-For."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and forwarded:
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _keys(request) -> list[str]:
    username = (request.POST.get("username") or "").strip().lower()[:150]
    return [f"login-failures:user:{username}", f"login-failures:addr:{client_address(request)}"]


def is_locked(request) -> bool:
    return any((cache.get(key) or 0) >= _max_failures() for key in _keys(request))


def record_failure(request) -> None:
    for key in _keys(request):
        if cache.add(key, 1, _window()):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, _window())


def clear_failures(request) -> None:
    cache.delete_many(_keys(request))


class ThrottledLoginView(LoginView):
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs) -> HttpResponse:
        if is_locked(request):
            form = self.get_form()
            form.errors.clear()
            minutes = max(1, _window() // 60)
            context = self.get_context_data(
                form=form,
                locked=f"Too many failed attempts. Wait {minutes} minutes and try again, or "
                "ask an admin to reset your password.",
            )
            return self.render_to_response(context, status=429)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            clear_failures(request)
        else:
            record_failure(request)
        return response
