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
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _shape(url: str) -> str:
    """One visit per kind of page: digits and ids alike, the same query keys."""
    parts = urlsplit(url)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"[0-9A-Z]{6,}|\d+", "N", parts.path) + "?" + "&".join(keys)


def crawl(client, start: str = "/", limit: int = 400):
    seen = {_shape(start)}
    queue = deque([(start, "(start)")])
    visited: list[tuple[str, int]] = []
    problems = []
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
    return visited, problems


@pytest.fixture
def demo(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", password="demo-pass-123")


@pytest.mark.parametrize("username", ["agent", "supervisor", "admin", "staff"])
def test_every_link_shown_to_a_role_opens(demo, client, username):
    client.force_login(get_user_model().objects.get(username=username))
    visited, problems = crawl(client)
    assert problems == []
    assert len(visited) > 20  # the crawl went past the home page
