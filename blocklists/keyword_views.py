"""Keyword settings (admins) and the review queue of possible opt-outs (supervisors)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import ActorRequest, role_required
from accounts.dialogs import modal_or_page
from accounts.forms_base import BootstrapFormMixin
from accounts.models import Role
from blocklists import keywords
from blocklists.keyword_rules import POSSIBLE_OPT_OUT_RULES, PROTECTED_KEYWORDS, normalize_text
from blocklists.models import KeywordKind, KeywordRule, KeywordSettings, PossibleOptOut


class KeywordSettingsForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = KeywordSettings
        fields = [
            "opt_out_scope",
            "auto_opt_out_possible",
            "opt_out_reply",
            "opt_in_reply",
            "help_reply",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in ("opt_out_reply", "opt_in_reply", "help_reply")
        }
        help_texts = {
            "opt_out_reply": "Blank: the default. {organization} and {sender} are replaced.",
        }


class KeywordForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = KeywordRule
        fields = ["kind", "keyword", "language"]

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_keyword(self) -> str:
        word = normalize_text(self.cleaned_data["keyword"])
        if not word:
            raise forms.ValidationError("Type a word.")
        if KeywordRule.objects.filter(organization=self.organization, keyword=word).exists():
            raise forms.ValidationError(f"{word} is already a keyword.")
        return word


def _organization(request: ActorRequest):
    if request.actor.organization is None:
        raise Http404("Platform staff without an organization manage keywords in the admin.")
    return request.actor.organization


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def keyword_settings(request: ActorRequest) -> HttpResponse:
    organization = _organization(request)
    keywords.ensure_default_keywords(organization)
    current = keywords.settings_for(organization)
    action = request.POST.get("action")
    settings_form = KeywordSettingsForm(
        request.POST if action == "settings" else None, instance=current
    )
    keyword_form = KeywordForm(request.POST if action == "add" else None, organization=organization)
    if action == "settings" and settings_form.is_valid():
        settings_form.save()
        messages.success(request, "Keyword settings saved.")
        return redirect("blocklists:keywords")
    if action == "add" and keyword_form.is_valid():
        rule = keyword_form.save(commit=False)
        rule.organization = organization
        rule.save()
        kind = rule.get_kind_display()
        article = "an" if kind[0] in "AEIOU" else "a"
        messages.success(request, f"{rule.keyword} is now {article} {kind.lower()} keyword.")
        return redirect("blocklists:keywords")
    rules = KeywordRule.objects.filter(organization=organization)
    groups = [(label, [r for r in rules if r.kind == kind]) for kind, label in KeywordKind.choices]
    return render(
        request,
        "blocklists/keywords.html",
        {
            "settings_form": settings_form,
            "keyword_form": keyword_form,
            "groups": groups,
            "protected": PROTECTED_KEYWORDS,
            "possible_rules": POSSIBLE_OPT_OUT_RULES,
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.ADMIN)
def keyword_remove(request: ActorRequest, pk: int) -> HttpResponse:
    """Asks first (the dialog), then removes the keyword."""
    organization = _organization(request)
    rule = KeywordRule.objects.filter(organization=organization, pk=pk).first()
    if rule is None:
        raise Http404("No keyword matches the given query.")
    if request.method == "GET":
        context = {"rule": rule, "protected": rule.keyword in PROTECTED_KEYWORDS}
        title = f"Remove {rule.keyword}"
        return modal_or_page(request, "blocklists/_keyword_remove.html", context, title)
    try:
        keywords.remove_keyword(rule=rule)
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{rule.keyword} is no longer a keyword.")
    return redirect("blocklists:keywords")


@require_GET
@role_required(Role.SUPERVISOR)
def review_queue(request: ActorRequest) -> HttpResponse:
    status = request.GET.get("status") or PossibleOptOut.Status.PENDING
    if status not in PossibleOptOut.Status.values:
        status = PossibleOptOut.Status.PENDING
    items = request.actor.scope(
        PossibleOptOut.objects.filter(status=status).select_related("sender", "decided_by")
    )
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "blocklists/review.html",
        {
            "page": page,
            "status": status,
            "statuses": PossibleOptOut.Status.choices,
            "now": timezone.now(),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.SUPERVISOR)
def review_decide(request: ActorRequest, pk: int, decision: str) -> HttpResponse:
    """Confirm, then opt out or dismiss one possible opt-out."""
    if decision not in ("opt_out", "dismiss"):
        raise Http404("Unknown decision.")
    item = (
        request.actor.scope(PossibleOptOut.objects.select_related("sender")).filter(pk=pk).first()
    )
    if item is None:
        raise Http404("No possible opt-out matches the given query.")
    back = reverse("blocklists:review")
    if request.method == "POST":
        done = keywords.decide_possible_opt_out(
            item_id=item.pk,
            actor=request.user,
            decision=decision,
            note=request.POST.get("note", "")[:500],
        )
        if not done:
            messages.info(request, "Someone decided this one already: nothing changed.")
        elif decision == "opt_out":
            messages.success(request, f"{item.subscriber} opted out of {item.sender.address}.")
        else:
            messages.success(request, f"The message from {item.subscriber} was dismissed.")
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    context = {
        "item": item,
        "decision": decision,
        "fragment": "blocklists/_review_decide.html",
        "title": "Possible opt-out",
    }
    template = "blocklists/_review_decide.html" if request.htmx else "modal_page.html"
    return render(request, template, context)
