from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import services
from accounts.access import ActorRequest, get_scoped_or_404, role_required
from accounts.dialogs import modal_or_page
from accounts.forms import ApiTokenForm, OrganizationSettingsForm, SenderForm, SubaccountForm
from accounts.models import ApiToken, Heartbeat, Organization, Role, Sender, Subaccount
from accounts.tokens import create_token, revoke_token


def _organization_or_404(request: ActorRequest) -> Organization:
    """The organization an admin's settings pages act on (staff need a membership)."""
    if request.actor.organization is None:
        from django.http import Http404

        raise Http404("Platform staff without an organization manage tenants in the admin.")
    return request.actor.organization


@require_GET
@role_required(Role.AGENT)
def home(request: ActorRequest) -> HttpResponse:
    heartbeat = None
    if request.actor.is_platform_staff:
        heartbeat = Heartbeat.objects.filter(name="beat").first()
    return render(request, "accounts/home.html", {"heartbeat": heartbeat})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def settings_page(request: ActorRequest) -> HttpResponse:
    organization = _organization_or_404(request)
    form = OrganizationSettingsForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        services.update_organization_settings(organization=organization, form=form)
        messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {
            "form": form,
            "organization": organization,
            "subaccounts": organization.subaccounts.all(),
            "senders": organization.senders.select_related("subaccount"),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def sender_edit(request: ActorRequest, pk: int | None = None) -> HttpResponse:
    organization = _organization_or_404(request)
    sender = get_scoped_or_404(request.actor, Sender.objects.all(), pk=pk) if pk else Sender()
    form = SenderForm(request.POST or None, instance=sender, organization=organization)
    if request.method == "POST" and form.is_valid():
        saved = services.save_sender(organization=organization, form=form)
        messages.success(request, f"Sender {saved} saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/sender_form.html", {"form": form, "sender": sender})


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def subaccount_edit(request: ActorRequest, pk: int | None = None) -> HttpResponse:
    organization = _organization_or_404(request)
    subaccount = (
        get_scoped_or_404(request.actor, Subaccount.objects.all(), pk=pk)
        if pk
        else Subaccount(organization=organization)
    )
    form = SubaccountForm(request.POST or None, instance=subaccount)
    if request.method == "POST" and form.is_valid():
        saved = services.save_subaccount(organization=organization, form=form)
        messages.success(request, f"Subaccount {saved} saved.")
        return redirect("accounts:settings")
    return render(
        request, "accounts/subaccount_form.html", {"form": form, "subaccount": subaccount}
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def api_tokens(request: ActorRequest) -> HttpResponse:
    """The organization's API tokens; a new one's secret is shown once, on this response."""
    organization = _organization_or_404(request)
    secret = None
    form = ApiTokenForm(request.POST) if request.method == "POST" else ApiTokenForm()
    if request.method == "POST" and form.is_valid():
        _token, secret = create_token(
            organization=organization, name=form.cleaned_data["name"], created_by=request.user
        )
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(organization=organization).select_related("created_by")
    return render(
        request,
        "accounts/api_tokens.html",
        {
            "tokens": tokens,
            "secret": secret,
            "error": form.errors["name"][0] if form.errors else None,
            "organization": organization,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def api_token_revoke(request: ActorRequest, pk: int) -> HttpResponse:
    """Asks first (the dialog), then revokes: the systems using the token get 401."""
    organization = _organization_or_404(request)
    token = get_object_or_404(ApiToken, pk=pk, organization=organization, revoked_at__isnull=True)
    if request.method == "GET":
        title = f"Revoke {token.name}"
        return modal_or_page(request, "accounts/_revoke_token.html", {"token": token}, title)
    if revoke_token(organization=organization, token_id=token.pk):
        messages.success(request, f"Token {token.name} revoked: requests with it now answer 401.")
    else:
        messages.info(request, f"Token {token.name} was already revoked.")
    return redirect("accounts:api-tokens")
