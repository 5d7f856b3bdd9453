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
