"""Dialogs: one view answers the page's modal (htmx) and a page of its own (no JavaScript)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def modal_or_page(request: HttpRequest, fragment: str, context: dict, title: str) -> HttpResponse:
    """The dialog's body for htmx (shown in the page's modal), else a full page with it."""
    context = {**context, "fragment": fragment, "title": title}
    return render(request, fragment if request.htmx else "modal_page.html", context)
