from django.http import HttpRequest

from accounts.navigation import sections_for


def actor(request: HttpRequest) -> dict:
    """The actor and the navigation sections their role can use, for every template."""
    current = getattr(request, "actor", None)
    return {"actor": current, "nav_sections": sections_for(current)}
