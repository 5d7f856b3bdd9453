from django.http import JsonResponse
from django.utils import timezone

from accounts.access import Actor


class ActorMiddleware:
    """Puts ``request.actor`` on every request and shows times in the viewer's zone.

    The membership and its organization come with the user (accounts.backends).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = Actor.for_user(request.user)
        organization = request.actor.organization if request.actor else None
        if organization is not None:
            timezone.activate(organization.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SecurityHeadersMiddleware:
    """A Content-Security-Policy that allows only the project's own scripts and styles.

    No inline script or style attribute runs (templates use classes and static
    files; htmx is told not to inject its indicator styles), so an injected
    ``<script>`` or ``style=`` in a message text does nothing even if escaping
    ever failed. ``data:`` images are allowed for the favicon placeholder.
    """

    POLICY = "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", self.POLICY)
        return response


class RejectNulMiddleware:
    """Answer 400 to API requests that carry a NUL character anywhere.

    PostgreSQL text cannot hold NUL, so such a value would fail deep inside a
    query (a 500); forms already refuse it (Django's CharField), and this does
    the same for the JSON API, in its error format. Found by the API fuzzing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and self.has_nul(request):
            return self.rejected()
        return self.get_response(request)

    @staticmethod
    def rejected() -> JsonResponse:
        return JsonResponse(
            {"errors": {"body": "NUL characters (\\u0000) are not allowed."}}, status=400
        )

    @staticmethod
    def has_nul(request) -> bool:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:
            return True
        if request.method in ("POST", "PUT", "PATCH"):
            body = request.body
            return b"\x00" in body or b"\\u0000" in body
        return False
