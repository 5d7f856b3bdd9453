from django.utils import timezone

from accounts.access import Actor


class ActorMiddleware:
    """Puts ``request.actor`` on every request and shows times in the viewer's zone.

    One query per authenticated request (membership joined with organization).
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
