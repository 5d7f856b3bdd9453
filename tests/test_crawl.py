"""Every link a person is shown leads somewhere, and every form takes anything.

Each role follows every link of every page it can reach from the home page, on the
demo data: no link answers with an error, a page the person may not see, or a page
that does not exist. Then the search forms met on the way, and the forms that
change things, get values no form offers: none may answer a server error."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.tokens import create_token

# Links that change state or leave the pages: logging out is a POST form anyway.
SKIPPED = ("/static/", "/logout/", "/admin/logout/")


class _Links(HTMLParser):
    """The page's links; its GET forms (action, fields' names); its POST forms
    (action, each field with the value the page gives it)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, set[str]]] = []
        self.posts: list[tuple[str, dict[str, str]]] = []
        self._form: tuple[str, set[str]] | None = None
        self._post: dict[str, str] | None = None
        self._select: str | None = None
        self._picked: str | None = None
        self._textarea: str | None = None
        self.inline: set[str] = set()  # what the Content-Security-Policy would block

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        self.inline.update(f"{tag} {key}=" for key in attrs if key.startswith("on"))
        if "style" in attrs:
            self.inline.add(f"{tag} style=")
        if tag == "script" and not attrs.get("src") and "json" not in (attrs.get("type") or ""):
            self.inline.add("<script> without src")
        if any((value or "").startswith("javascript:") for value in attrs.values()):
            self.inline.add(f"{tag} javascript: URL")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            get = (attrs.get("method") or "get").lower() == "get"
            self._form = (attrs.get("action") or "", set()) if get else None
            self._post = None if get else {}
            if get:
                self.forms.append(self._form)
            else:
                self.posts.append((attrs.get("action") or "", self._post))
        elif tag in ("input", "select", "textarea") and self._form and name:
            self._form[1].add(name)
        elif self._post is not None and name:
            self._post_field(tag, name, attrs)
        elif tag == "option" and self._select and (self._picked is None or "selected" in attrs):
            self._picked = attrs.get("value") or ""  # the first option, or the one selected
            self._post[self._select] = self._picked

    def _post_field(self, tag, name, attrs):
        kind = (attrs.get("type") or "text").lower()
        if tag == "select":
            self._select, self._picked = name, None
            self._post.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            self._post[name] = ""
        elif kind in ("checkbox", "radio"):
            if "checked" in attrs or name not in self._post:
                self._post[name] = attrs.get("value") or "on"
        elif tag in ("input", "button") and kind not in ("file", "reset"):
            self._post.setdefault(name, attrs.get("value") or "")

    def handle_data(self, data):
        if self._textarea and self._post is not None:
            self._post[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = self._post = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _shape(url: str) -> str:
    """One visit per kind of page: digits and ids alike, the same query keys."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"[0-9A-Z]{6,}|\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client, start: str = "/", limit: int = 400):
    """(visited URLs and their status, problems, the GET forms met: URL and fields,
    the POST forms met: one per kind of action, with the values the page gave)."""
    seen = {_shape(start)}
    queue = deque([(start, "(start)")])
    visited: list[tuple[str, int]] = []
    problems = []
    forms: dict[str, set[str]] = {}
    posts: dict[str, tuple[str, dict[str, str]]] = {}
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
        if parser.inline:
            problems.append(f"{url}: {sorted(parser.inline)}, which the page's CSP blocks")
        page = response.request["PATH_INFO"]
        if response.request.get("QUERY_STRING"):
            page += "?" + response.request["QUERY_STRING"]
        for action, fields in parser.forms:
            forms.setdefault(urlsplit(urljoin(page, action)).path, set()).update(fields)
        for action, fields in parser.posts:
            path = urlsplit(urljoin(page, action)).path
            posts.setdefault(_shape(path) + " ".join(sorted(fields)), (path, fields))
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
    return visited, problems, forms, list(posts.values())


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", password="demo-pass-123")
    # What the demo leaves out: an API token, so that its row and dialog are reached.
    admin = get_user_model().objects.get(username="admin")
    create_token(organization=admin.membership.organization, name="Demo CRM", created_by=admin)


@pytest.mark.parametrize("username", ["agent", "supervisor", "admin", "staff"])
def test_every_link_shown_to_a_role_opens(demo, client, username):
    client.force_login(get_user_model().objects.get(username=username))
    visited, problems, _forms, _posts = crawl(client)
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
    _visited, _problems, forms, _posts = crawl(client)
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


@pytest.mark.parametrize("username", ["admin", "staff"])
def test_every_form_sent_with_any_value_answers_without_a_server_error(demo, client, username):
    """Each POST form of each page (one per kind of action), each field in turn with
    the values above, the others as the page filled them in: the form says what is
    wrong, or does what it does; never a server error. State changes as it goes
    (contacts blocked, tokens made), as it would for a person clicking through."""
    client.force_login(get_user_model().objects.get(username=username))
    *_, posts = crawl(client)
    posts = [(path, fields) for path, fields in posts if not path.startswith(("/admin/", *SKIPPED))]
    assert len(posts) > 5
    client.raise_request_exception = False
    failures = []
    for path, fields in posts:
        for field in sorted(set(fields) - {"csrfmiddlewaretoken"}):
            for value in [*HOSTILE, "\x00", "-0"]:
                response = client.post(path, {**fields, field: value}, secure=True)
                if response.status_code >= 500:
                    failures.append(f"POST {path} {field}={value[:30]!r}: {response.status_code}")
    assert failures == [], "\n".join(failures)
