"""Blocklist pages: the per-sender list, the consent dialogs, single add, revert, history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from accounts.access import ActorRequest, role_required, sender_for
from accounts.columns import narrowed_to_few
from accounts.dialogs import modal_or_page
from accounts.exports import export_links, export_response
from accounts.models import Role, Sender
from accounts.normalization import normalize_email, normalize_phone
from accounts.paging import ListPaginator
from blocklists import interceptions as service_interceptions
from blocklists import services
from blocklists.consent import issue_consent_token, read_consent_token
from blocklists.filters import BlocklistEntryFilter
from blocklists.forms import RevertForm, SingleAddForm
from blocklists.models import BlocklistEntry, BlocklistEvent, ConsentText
from blocklists.selectors import entries_for_sender, senders_by_kind
from blocklists.tables import BlocklistEntryTable

PAGE_SIZE = 50
SORT_LIMIT = 10_000  # reason and source sort a search of up to this many entries
EXPORT_HEADER = ["Subscriber", "Reason", "Source", "Exclusion Date", "Added by"]


def _back_to_list(request: ActorRequest, sender: Sender) -> HttpResponse:
    url = reverse("blocklists:index") + "?" + urlencode({"sender": sender.pk})
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_GET
@role_required(Role.AGENT)
def blocklist(request: ActorRequest) -> HttpResponse:
    senders = list(
        request.actor.scope(Sender.objects.select_related("organization")).order_by(
            "organization__name", "kind", "address"
        )
    )
    groups = senders_by_kind(request.actor.organization, senders)
    sender = None
    if request.GET.get("sender"):
        sender = sender_for(request.actor, request.GET["sender"])
    elif groups:
        sender = groups[0][1][0]
    context = {"senders_by_kind": groups}
    if sender is None:
        return render(request, "blocklists/list.html", context)

    filterset = BlocklistEntryFilter(
        request.GET or None, queryset=entries_for_sender(sender), sender=sender
    )
    entries = filterset.qs
    if export := export_response(
        request,
        stem=f"blocklist-{sender.address}",
        header=EXPORT_HEADER,
        rows=entries.select_related("added_by").order_by("-excluded_at", "-id"),
        row=lambda e: [
            e.subscriber,
            e.get_reason_display(),
            e.get_source_display(),
            e.excluded_at.isoformat(),
            e.added_by.get_username() if e.added_by else "",
        ],
    ):
        return export

    # Reason and source sort the entries of a search only (no index keeps them in order).
    sortable = narrowed_to_few(filterset, "q", limit=SORT_LIMIT)
    table = BlocklistEntryTable(entries, can_revert=request.actor.is_admin, sortable=sortable)
    # ListPaginator: no COUNT(*) over a list of millions on every page.
    RequestConfig(
        request, paginate={"paginator_class": ListPaginator, "per_page": PAGE_SIZE}
    ).configure(table)
    context.update(
        {
            "sender": sender,
            "filter": filterset,
            "table": table,
            "has_rows": len(table.page.object_list) > 0,
            "search_problem": filterset.search_problem,
            "searched": (request.GET.get("q") or "").strip(),
            "sort_limit": None if sortable else f"{SORT_LIMIT:,}",
            **export_links(request.GET, sender=sender.pk),
            "can_add": request.actor.is_supervisor,
        }
    )
    template = "blocklists/list.html#results" if request.htmx else "blocklists/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def add(request: ActorRequest, sender_pk: int) -> HttpResponse:
    """Consent dialog first; once confirmed, the tabs to add one subscriber or upload a CSV."""
    sender = sender_for(request.actor, sender_pk)
    consent = ConsentText.current(ConsentText.Purpose.ADD)
    context = {"sender": sender, "consent": consent}
    step = request.POST.get("step")
    if request.method == "GET" or step not in ("consent", "single"):
        return modal_or_page(request, "blocklists/_add_consent.html", context, "Add to blocklist")

    if step == "consent":
        if request.POST.get("confirm") != "yes" or request.POST.get("version") != str(
            consent.version
        ):
            context["error"] = "Confirm the statement to continue."
            return modal_or_page(
                request, "blocklists/_add_consent.html", context, "Add to blocklist"
            )
        token = issue_consent_token(user=request.user, consent=consent)
        form = SingleAddForm(initial={"consent_token": token}, sender=sender)
        context.update({"form": form, "consent_token": token})
        return modal_or_page(request, "blocklists/_add_tabs.html", context, "Add to blocklist")

    form = SingleAddForm(request.POST, sender=sender)
    confirmed = read_consent_token(
        request.POST.get("consent_token"), user=request.user, purpose=ConsentText.Purpose.ADD
    )
    if confirmed is None:
        context["error"] = "The consent confirmation is missing or expired: confirm it again."
        return modal_or_page(request, "blocklists/_add_consent.html", context, "Add to blocklist")
    context.update({"form": form, "consent_token": request.POST.get("consent_token")})
    if form.is_valid():
        try:
            result = services.add_entry(
                sender=sender,
                subscriber=form.cleaned_data["subscriber"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
                consent=confirmed,
                country=form.cleaned_data.get("country") or None,
            )
        except ValidationError as exc:
            form.add_error("subscriber", exc)
        else:
            entry = result.entry
            if result.created:
                messages.success(
                    request, f"{entry.subscriber} added to the blocklist of {sender.address}."
                )
            else:
                messages.info(
                    request,
                    f"{entry.subscriber} is already on the blocklist of {sender.address} "
                    f"(since {entry.excluded_at:%Y-%m-%d}): nothing changed.",
                )
            return _back_to_list(request, sender)
    return modal_or_page(request, "blocklists/_add_tabs.html", context, "Add to blocklist")


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def revert(request: ActorRequest, sender_pk: int, pk: int) -> HttpResponse:
    """The revert consent dialog; confirming deletes the entry and writes a reverted event."""
    sender = sender_for(request.actor, sender_pk)
    entry = BlocklistEntry.objects.filter(sender=sender, pk=pk).select_related("sender").first()
    if entry is None:
        messages.info(request, "This entry is no longer on the blocklist: nothing changed.")
        return _back_to_list(request, sender)
    consent = ConsentText.current(ConsentText.Purpose.REVERT)
    form = RevertForm(request.POST or None, initial={"consent_version": consent.version})
    context = {"sender": sender, "entry": entry, "consent": consent, "form": form}
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["consent_version"] != consent.version:
            form.add_error(None, "The consent text has changed: read it and confirm again.")
        else:
            services.revert_entry(
                entry_id=entry.pk,
                sender=sender,
                actor=request.user,
                consent=consent,
                note=form.cleaned_data["note"],
            )
            messages.success(
                request,
                f"Reverted: {entry.subscriber} can receive messages from {sender.address} again.",
            )
            return _back_to_list(request, sender)
    return modal_or_page(request, "blocklists/_revert.html", context, "Revert blocklist entry")


def _normalise_for_history(text: str, country: str) -> str:
    text = text.strip()
    for attempt in (lambda: normalize_phone(text, country), lambda: normalize_email(text)):
        try:
            return attempt()
        except ValidationError:
            continue
    return text


@require_GET
@role_required(Role.AGENT)
def history(request: ActorRequest) -> HttpResponse:
    """Every add and revert of one subscriber across the organization's senders."""
    typed = (request.GET.get("subscriber") or "").strip()
    context: dict = {"typed": typed}
    if typed:
        country = request.actor.organization.country if request.actor.organization else "US"
        subscriber = _normalise_for_history(typed, country)
        events = request.actor.scope(
            BlocklistEvent.objects.filter(subscriber=subscriber).select_related(
                "consent", "import_job", "organization"
            )
        )[:500]
        entries = request.actor.scope(
            BlocklistEntry.objects.of_subscribers(subscriber).select_related("sender"),
            "sender__organization",
        )
        context.update({"subscriber": subscriber, "events": events, "entries": entries})
    return render(request, "blocklists/history.html", context)


@require_GET
@role_required(Role.AGENT)
def subscriber_panel(request: ActorRequest) -> HttpResponse:
    """Fragment: where these addresses are blocklisted, for pages of other apps (htmx-loaded).

    Takes ``?address=`` once per address (E.164 numbers or emails) and answers in
    one query, scoped to the actor's organization.
    """
    addresses = [a.strip() for a in request.GET.getlist("address") if a.strip()][:20]
    entries = (
        request.actor.scope(
            BlocklistEntry.objects.of_subscribers(*addresses).select_related("sender"),
            "sender__organization",
        ).order_by("subscriber", "sender__address")
        if addresses
        else BlocklistEntry.objects.none()
    )
    intercepted = (
        service_interceptions.active_interceptions_among(
            organization=request.actor.organization,
            numbers=[a for a in addresses if a.startswith("+")],
        )
        if addresses
        else {}
    )
    return render(
        request,
        "blocklists/_subscriber_panel.html",
        {"entries": entries, "addresses": addresses, "interceptions": list(intercepted.values())},
    )
