"""Long lists end at a last page: past it they answer that page and say how to see the rest."""

import pytest

from accounts.paging import ListPaginator
from messaging.services import create_batch


@pytest.fixture
def three_pages(monkeypatch):
    monkeypatch.setattr(ListPaginator, "max_pages", 3)


def test_a_page_past_the_last_answers_the_last():
    paginator = ListPaginator(list(range(100)), 10)
    paginator.max_pages = 3
    page = paginator.page(7)
    assert page.number == 3 and list(page) == list(range(20, 30))
    assert not page.has_next() and paginator.more_than_shown


def test_a_list_that_ends_on_the_last_page_has_nothing_more():
    paginator = ListPaginator(list(range(30)), 10)
    paginator.max_pages = 3
    page = paginator.page(3)
    assert list(page) == list(range(20, 30))
    assert not page.has_next() and not paginator.more_than_shown


def test_pages_before_the_last_are_unchanged():
    paginator = ListPaginator(list(range(100)), 10)
    paginator.max_pages = 3
    page = paginator.page(2)
    assert list(page) == list(range(10, 20)) and page.has_next()
    assert not paginator.more_than_shown


@pytest.mark.parametrize("number", ["99999999999999999999999", "1e400", "-1", "x"])
def test_any_page_number_in_the_url_answers_a_page(login, agent, org, sender, number):
    create_batch(organization=org, sender=sender, subscribers=["+14155550101"], text="Hi")
    for url in ("/messaging/", "/handoff/messages/", "/contacts/", "/handoff/status/"):
        assert login(agent).get(url, {"page": number}).status_code == 200, url


def test_past_the_last_page_the_list_says_how_to_see_the_rest(
    login, agent, org, sender, three_pages
):
    numbers = [f"+1415555{n:04d}" for n in range(160)]
    create_batch(organization=org, sender=sender, subscribers=numbers, text="Hi")
    html = login(agent).get("/messaging/", {"page": "9"}).content.decode()
    assert 'data-testid="last-page"' in html
    assert "first 3 pages (150 rows)" in html and "export the list" in html
    assert "page=4" not in html  # no "next" past the last page
    assert html.count('<tr class="') == 50  # page 3's rows

    first = login(agent).get("/messaging/").content.decode()
    assert 'data-testid="last-page"' not in first and "page=2" in first
