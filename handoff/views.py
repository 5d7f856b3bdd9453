from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.access import ActorRequest, role_required
from accounts.models import Role


@require_GET
@role_required(Role.AGENT)
def index(request: ActorRequest) -> HttpResponse:
    return render(request, "section_coming.html", {"section_key": "handoff"})
