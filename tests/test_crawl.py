"""Every link a person is shown leads somewhere: each role follows every link of
every page it can reach from the home page, on the demo data, and no link answers
with an error, a page the person may not see, or a page that does not exist."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

# Links that change state or leave the pages: logging out is a POST form anyway.
SKIPPED = ("/static/", "/logout/", "/admin/logout/")


class _Links(HTMLParser):
    """The page's links, and its GET forms: their action and their fields' names."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, set[str]]] = []
        self._form: tuple[str, set[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            get = (attrs.get("method") or "get").lower() == "get"
            self._form = (attrs.get("action") or "", set()) if get else None
            if self._form is not None:
                self.forms.append(self._form)
        elif tag in ("input", "select", "textarea") and self._form and attrs.get("name"):
            self._form[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _shape(url: str) -> str:
    """One visit per kind of page: digits and ids alike, the same query keys."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"[0-9A-Z]{6,}|\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client, start: str = "/", limit: int = 400):
    """(visited URLs and their status, problems, the GET forms met: URL and fields)."""
    seen = {_shape(start)}
    queue = deque([(start, "(start)")])
    visited: list[tuple[str, int]] = []
    problems = []
    forms: dict[str, set[str]] = {}
    while queue and len(visited) < limit:
        url, found_on = queue.popleft()
        response = client.get(url, follow=True, secure=True)
        visited.append((url, response.status_code))
        if response.status_code != 200:
            problems.append(f"{url} (linked from {found_on}): {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        page = response.request["PATH_INFO"]
        if response.request.get("QUERY_STRING"):
            page += "?" + response.request["QUERY_STRING"]
        for action, fields in parser.forms:
            forms.setdefault(urlsplit(urljoin(page, action)).path, set()).update(fields)
        for href in parser.links:
            target = urljoin(page, href)
            parts = urlsplit(target)
            if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "testserver"):
                continue
            if not parts.path or parts.path.startswith(SKIPPED):
                continue
            query = urlencode(parse_qsl(parts.query, keep_blank_values=True))
            target = parts.path + (f"?{query}" if query else "")
            if _shape(target) not in seen:
                seen.add(_shape(target))
                queue.append((target, url))
    return visited, problems, forms


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", password="demo-pass-123")


@pytest.mark.parametrize("username", ["agent", "supervisor", "admin", "staff"])
def test_every_link_shown_to_a_role_opens(demo, client, username):
    client.force_login(get_user_model().objects.get(username=username))
    visited, problems, _forms = crawl(client)
    assert problems == []
    assert len(visited) > 20  # the crawl went past the home page


# What a person can type or paste into a search field, or edit in a shared URL.
HOSTILE = [
    "x",
    "-1",
    "0",
    "99999999999999999999999",
    "2026-02-30",
    "2026-13-01T25:61",
    "+",
    "%_",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "１２３",
    "a" * 3000,
]


# Fields that name the page's object rather than filter it: one that is not the
# organization's is not found, like any id of another organization.
IDENTIFIES = {("/blocklists/", "sender")}


@pytest.mark.parametrize("username", ["agent", "admin", "staff"])
def test_every_search_form_answers_any_value_without_an_error(demo, client, username):
    """Each GET form of each page, each field, with values no form offers; and the
    table's ``sort`` and ``page``: the page answers (an error shown is fine), never
    a server error."""
    client.force_login(get_user_model().objects.get(username=username))
    _visited, _problems, forms = crawl(client)
    forms = {path: fields for path, fields in forms.items() if not path.startswith("/admin/")}
    assert len(forms) > 5
    client.raise_request_exception = False  # a server error is a failure listed below
    failures = []
    for path, fields in sorted(forms.items()):
        for field in sorted(fields | {"sort", "page"}):
            for value in HOSTILE:
                response = client.get(path, {field: value}, secure=True)
                missing = response.status_code == 404 and (path, field) not in IDENTIFIES
                if response.status_code >= 500 or missing:
                    failures.append(f"{path}?{field}={value[:30]}: {response.status_code}")
    assert failures == [], "\n".join(failures)
