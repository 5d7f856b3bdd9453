"""Access control, once: who is asking, what they may do, what they may see.

Every view and API endpoint goes through here:

- ``role_required(minimum)`` requires a login and a minimum role (403 below it)
  and puts the person's :class:`Actor` on ``request.actor``;
- ``Actor.scope(queryset)`` keeps only the rows of the person's organization
  (platform staff see every organization);
- ``get_scoped_or_404`` fetches one object through that scope, so an object of
  another organization answers 404 exactly like a missing one.

The API's token authentication builds the same ``Actor`` (``Actor.for_token``
in a later issue), so pages and API share one set of rules.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import ROLE_RANK, Membership, Organization, Role, Sender

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Actor:
    """The person (or token) behind a request, with their organization and role."""

    user: object | None
    organization: Organization | None
    role: str | None
    is_platform_staff: bool = False

    @classmethod
    def for_user(cls, user) -> Actor | None:
        """The actor for a logged-in user, or None when they belong nowhere."""
        if not getattr(user, "is_authenticated", False):
            return None
        if get_user_model().membership.is_cached(user):  # loaded with it (accounts.backends)
            membership = getattr(user, "membership", None)
        else:
            membership = Membership.objects.select_related("organization").filter(user=user).first()
        is_staff = bool(user.is_staff or user.is_superuser)
        if membership is None and not is_staff:
            return None
        return cls(
            user=user,
            organization=membership.organization if membership else None,
            role=membership.role if membership else None,
            is_platform_staff=is_staff,
        )

    @classmethod
    def for_token(cls, token) -> Actor:
        """The actor behind an API token: its organization, with admin rights there."""
        return cls(user=None, organization=token.organization, role=Role.ADMIN)

    def has_role(self, minimum: str) -> bool:
        if self.is_platform_staff:
            return True
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[minimum]

    @property
    def is_supervisor(self) -> bool:
        return self.has_role(Role.SUPERVISOR)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def role_label(self) -> str:
        if self.role:
            label = Role(self.role).label
            return f"{label} · platform staff" if self.is_platform_staff else label
        return "Platform staff"

    def scope(self, queryset: QuerySet[M], field: str = "organization") -> QuerySet[M]:
        """Only the rows this actor may see; ``field`` is the path to the organization."""
        if self.is_platform_staff:
            return queryset
        if self.organization is None:
            return queryset.none()
        return queryset.filter(**{field: self.organization})


def get_scoped_or_404(
    actor: Actor, queryset: QuerySet[M], *, field: str = "organization", **lookup
) -> M:
    """One object through the actor's scope; another organization's object is a 404."""
    try:
        return actor.scope(queryset, field).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(f"No {queryset.model._meta.verbose_name} matches the given query.") from exc


class ActorRequest(HttpRequest):
    """An HttpRequest that went through ``role_required``: typing aid for views."""

    actor: Actor


View = Callable[..., HttpResponse]


def role_required(minimum: str = Role.AGENT) -> Callable[[View], View]:
    """Require a login (redirect) and at least ``minimum`` role (403)."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = request.actor
            if actor is None:
                raise PermissionDenied("Your account does not belong to an organization.")
            if not actor.has_role(minimum):
                raise PermissionDenied(f"This page needs the {Role(minimum).label} role.")
            return view(request, *args, **kwargs)

        wrapper.minimum_role = minimum  # read by the permission matrix test
        return wrapper

    return decorator


def staff_required(view: View) -> View:
    """Platform staff only (Django staff or superuser)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.actor and request.actor.is_platform_staff):
            raise PermissionDenied("This page is for platform staff.")
        return view(request, *args, **kwargs)

    return wrapper


def sender_for(actor: Actor, pk) -> Sender:
    """A sender the actor may see (their organization's, or any for platform staff), else 404."""
    return get_scoped_or_404(actor, Sender.objects.select_related("organization"), pk=pk)
