"""The Interceptions page: which numbers are blocked after failures, and deleting them."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from accounts.access import ActorRequest, role_required
from accounts.columns import SortSwitch, narrowed_to_few
from accounts.exports import export_links, export_response
from accounts.models import Role
from accounts.paging import ListPaginator
from blocklists import interceptions as service
from blocklists.models import Interception, InterceptionScope
from blocklists.selectors import interpret_search

PAGE_SIZE = 50
SORT_LIMIT = 10_000
EXPORT_HEADER = ["Number", "Scope", "Code", "Reason", "Intercepted at", "Expires at"]


class InterceptionFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(method="search", label="Number")
    scope = django_filters.ChoiceFilter(choices=InterceptionScope.choices, empty_label="Any scope")
    code = django_filters.NumberFilter(label="Code")

    class Meta:
        model = Interception
        fields = ["number", "scope", "code"]

    def __init__(self, *args, country: str, **kwargs):
        self.country = country
        self.search_problem = None
        super().__init__(*args, **kwargs)
        self.form.fields["number"].widget.attrs.update(
            {"class": "form-control", "placeholder": "Number in any format", "type": "search"}
        )
        self.form.fields["scope"].widget.attrs["class"] = "form-select"
        self.form.fields["code"].widget.attrs.update(
            {"class": "form-control", "placeholder": "550"}
        )

    def search(self, queryset, name, value):
        search = interpret_search(value, sender_kind=None, country=self.country)
        if search.problem:
            self.search_problem = search.problem
            return queryset.none()
        condition = search.as_q(field="number")
        return queryset.filter(condition) if condition is not None else queryset


class InterceptionTable(SortSwitch, tables.Table):
    number = tables.Column(verbose_name="Number", attrs={"td": {"class": "font-monospace"}})
    scope = tables.Column(verbose_name="Scope")
    code = tables.Column(verbose_name="Code")
    source_organization = tables.Column(verbose_name="Produced by", orderable=False)
    intercepted_at = tables.DateTimeColumn(verbose_name="Intercepted at", format="Y-m-d H:i T")
    expires_at = tables.DateTimeColumn(verbose_name="Expires at", format="Y-m-d H:i T")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="Actions")

    class Meta:
        model = Interception
        fields = ["number", "scope", "code", "source_organization", "intercepted_at", "expires_at"]
        order_by = "-intercepted_at"
        attrs = {"class": "table table-hover table-sm align-middle", "id": "interception-table"}

    always_sortable = ("intercepted_at", "expires_at")  # each has its index

    def __init__(self, *args, actor, **kwargs):
        self.actor = actor
        self.now = timezone.now()
        super().__init__(*args, **kwargs)

    def order_intercepted_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""  # the id keeps pages apart on equal times
        return queryset.order_by(f"{prefix}intercepted_at", f"{prefix}id"), True

    def render_code(self, record):
        return f"{record.code} {record.reason}".strip()

    def render_source_organization(self, record):
        if self.actor.is_platform_staff:
            return str(record.source_organization or "—")
        if record.source_organization_id == getattr(self.actor.organization, "pk", None):
            return "Your organization"
        return "Another organization"

    def render_expires_at(self, record, value):
        shown = timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")
        if value <= self.now:
            return format_html('{} <span class="badge text-bg-secondary">expired</span>', shown)
        return shown

    def render_actions(self, record):
        if service.can_delete(self.actor, record):
            url = reverse("blocklists:interception-delete", args=[record.pk])
            return format_html(
                '<a class="btn btn-sm btn-outline-danger" href="{}" hx-get="{}" '
                'hx-target="#modal-body" hx-swap="innerHTML" hx-push-url="false" '
                'hx-boost="false">Delete</a>',
                url,
                url,
            )
        return format_html('<span class="small text-body-secondary">{}</span>', "Contact support")

    def value_actions(self, record):
        return ""


@require_GET
@role_required(Role.AGENT)
def interception_list(request: ActorRequest) -> HttpResponse:
    country = request.actor.organization.country if request.actor.organization else "US"
    filterset = InterceptionFilter(
        request.GET or None, queryset=service.visible_interceptions(request.actor), country=country
    )
    rows = filterset.qs
    if export := export_response(
        request,
        stem="interceptions",
        header=EXPORT_HEADER,
        rows=rows.order_by("-intercepted_at", "-id"),
        row=lambda i: [
            i.number,
            i.scope,
            i.code,
            i.reason,
            i.intercepted_at.isoformat(),
            i.expires_at.isoformat(),
        ],
    ):
        return export
    # Number, scope and code sort within a number search (360 ms over 1M otherwise).
    sortable = narrowed_to_few(filterset, "number", limit=SORT_LIMIT)
    table = InterceptionTable(rows, actor=request.actor, sortable=sortable)
    RequestConfig(
        request, paginate={"paginator_class": ListPaginator, "per_page": PAGE_SIZE}
    ).configure(table)
    context = {
        "filter": filterset,
        "table": table,
        "has_rows": len(table.page.object_list) > 0,
        "search_problem": filterset.search_problem,
        "searched": (request.GET.get("number") or "").strip(),
        "sort_limit": None if sortable else f"{SORT_LIMIT:,}",
        **export_links(request.GET),
    }
    template = (
        "blocklists/interceptions.html#results" if request.htmx else "blocklists/interceptions.html"
    )
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def interception_delete(request: ActorRequest, pk: int) -> HttpResponse:
    """Confirmation dialog, then delete (own organization's, or any for platform staff)."""
    list_url = reverse("blocklists:interceptions")
    # Another organization's local interception is invisible: 404 like a missing one.
    interception = service.visible_interceptions(request.actor).filter(pk=pk).first()
    if interception is None:
        if request.method == "POST":
            messages.info(request, "This interception is already gone: nothing changed.")
            return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)
        raise Http404("No interception matches the given query.")
    if not service.can_delete(request.actor, interception):
        raise PermissionDenied(
            "This interception was produced by another organization's send: contact support "
            "to remove it."
        )
    if request.method == "POST":
        service.delete_interception(interception_id=interception.pk, actor=request.actor)
        messages.success(
            request,
            f"Interception of {interception.number} ({interception.get_scope_display().lower()}, "
            f"code {interception.code}) deleted: messages to it are no longer stopped by it.",
        )
        return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)
    context = {
        "interception": interception,
        "fragment": "blocklists/_interception_delete.html",
        "title": "Delete interception",
    }
    template = "blocklists/_interception_delete.html" if request.htmx else "modal_page.html"
    return render(request, template, context)
