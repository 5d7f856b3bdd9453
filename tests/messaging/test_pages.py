"""The messaging pages: right role, lower role 403, other organization 404, wrong method 405."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging import services
from messaging.models import Batch, Message
from messaging.statuses import BatchStatus, MessageStatus

FREE = "+14155550101"


@pytest.fixture
def batch(make_batch):
    return make_batch([FREE], send_at=timezone.now() + dt.timedelta(hours=1))


@pytest.fixture
def message(batch):
    return Message.objects.get(batch=batch)


def test_messages_list_searches_by_number(login, agent, batch, other_agent):
    page = login(agent).get(reverse("messaging:index"), {"q": "415 555 0101"})
    assert page.status_code == 200
    assert 'id="message-table"' in page.content.decode()
    partial = login(agent).get(
        reverse("messaging:index"), {"q": FREE}, headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    # The other organization sees none of it.
    other = login(other_agent).get(reverse("messaging:index"), {"q": FREE})
    assert 'id="message-table"' not in other.content.decode()
    assert "No messages" in other.content.decode()


def test_list_pages_answer_agents_and_refuse_wrong_methods(login, agent, batch):
    client = login(agent)
    for name in ("messaging:index", "messaging:batches"):
        assert client.get(reverse(name)).status_code == 200
        assert client.post(reverse(name)).status_code == 405


def test_list_query_count_does_not_grow_with_rows(
    login, agent, make_batch, django_assert_max_num_queries
):
    make_batch([f"+1415555{i:04d}" for i in range(60)])
    client = login(agent)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("messaging:index")).status_code == 200


def test_batch_and_message_pages(login, agent, other_agent, batch, message):
    client = login(agent)
    page = client.get(reverse("messaging:batch", args=[batch.public_id]))
    assert page.status_code == 200 and "Programmed" in page.content.decode()
    log = client.get(reverse("messaging:message", args=[message.pk]))
    assert log.status_code == 200 and "Scheduled for" in log.content.decode()
    assert client.post(reverse("messaging:message", args=[message.pk])).status_code == 405
    other = login(other_agent)
    assert other.get(reverse("messaging:batch", args=[batch.public_id])).status_code == 404
    assert other.get(reverse("messaging:message", args=[message.pk])).status_code == 404


def test_cancel_needs_a_supervisor_of_the_organization(
    login, agent, supervisor, other_admin, batch
):
    url = reverse("messaging:batch-cancel", args=[batch.public_id])
    assert login(agent).post(url, {"confirm": "on"}).status_code == 403
    assert login(other_admin).post(url, {"confirm": "on"}).status_code == 404
    assert login(supervisor).put(url).status_code == 405
    client = login(supervisor)
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 200  # unconfirmed: the dialog again
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.PROGRAMMED
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    assert Batch.objects.get(pk=batch.pk).status == BatchStatus.CANCELLED
    assert Message.objects.get(batch=batch).status == MessageStatus.CANCELLED


def test_send_form(login, agent, supervisor, sender, django_capture_on_commit_callbacks):
    url = reverse("messaging:send")
    assert login(agent).get(url).status_code == 403
    client = login(supervisor)
    assert client.get(url).status_code == 200
    assert client.put(url).status_code == 405
    bad = client.post(
        url, {"sender": sender.pk, "numbers": "12", "text": "Hi", "priority": "normal"}
    )
    assert bad.status_code == 200 and not Batch.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url,
            {
                "sender": sender.pk,
                "numbers": "415 555 0101\n415 555 0102",
                "text": "Hi",
                "priority": "normal",
            },
        )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert (batch.trigger, batch.message_count, batch.created_by_name) == (
        "form",
        2,
        "bob-supervisor",
    )
    assert len(callbacks) == 1


def test_send_form_from_a_file_keeps_variables_and_file_name(login, supervisor, sender):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "july.csv", b"number,name\n4155550101,Ann\n4155550102,Bob\n", content_type="text/csv"
    )
    response = login(supervisor).post(
        reverse("messaging:send"),
        {
            "sender": sender.pk,
            "file": upload,
            "text": "Hi {{name}}",
            "priority": "normal",
            "send_at": (timezone.localtime() + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    batch = Batch.objects.get()
    assert (batch.trigger, batch.file_name, batch.status) == ("file", "july.csv", "programmed")
    assert sorted(Message.objects.values_list("variables__name", flat=True)) == ["Ann", "Bob"]
    services.dispatch_batch(batch_id=batch.pk, now=timezone.now() + dt.timedelta(hours=2))
    assert set(Message.objects.values_list("status", flat=True)) == {MessageStatus.SENDING}


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"number,note\n4155550101," + b"x" * 200_000 + b"\n", "cannot be read as CSV"),
        (b"\xff\xfe\x00n\x00u", "Save the file as UTF-8 CSV"),
        (b"phone_no,name\n4155550101,Ann\n", "needs a “number” column"),
    ],
)
def test_send_form_says_what_is_wrong_with_a_file(login, supervisor, sender, content, error):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = login(supervisor).post(
        reverse("messaging:send"),
        {
            "sender": sender.pk,
            "file": SimpleUploadedFile("bad.csv", content, content_type="text/csv"),
            "text": "Hi",
            "priority": "normal",
        },
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Batch.objects.exists()


def test_other_columns_sort_the_messages_of_a_search_or_a_batch(
    login, agent, make_batch, monkeypatch
):
    """Sorting an organization's 10M messages by status, sender or batch took 5-7 s:
    without a search or a batch only the request time sorts, and the page says why."""
    numbers = ["+14155550103", "+14155550101", "+14155550102"]
    batch = make_batch(numbers, send_at=timezone.now() + dt.timedelta(hours=1))
    client = login(agent)
    url = reverse("messaging:index")

    def head(html):
        return html.split("<thead")[1].split("</thead>")[0]

    html = client.get(url, {"sort": "subscriber"}).content.decode()
    assert 'data-testid="sort-limit"' in html and "sort=subscriber" not in head(html)
    assert "sort=requested_at" in head(html)
    for params in ({"q": "+1415555"}, {"batch": batch.public_id}):
        html = client.get(url, {**params, "sort": "-subscriber"}).content.decode()
        assert 'data-testid="sort-limit"' not in html and "sort=subscriber" in head(html)
        assert html.index(numbers[0]) < html.index(numbers[2]) < html.index(numbers[1])
    monkeypatch.setattr("messaging.views.SORT_LIMIT", 2)
    html = client.get(url, {"batch": batch.public_id, "sort": "-subscriber"}).content.decode()
    assert 'data-testid="sort-limit"' in html


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("415 555 0101", {"+14155550101"}),  # a full number: itself
        ("4155550", {"+14155550101", "+14155550199"}),  # digits: numbers starting so
        ("+1415555019", {"+14155550199"}),  # the next prefix carries: below +141555502
        ("+1999", {"+19995550100"}),  # all nines: nothing sorts above
        ("+14", {"+14155550101", "+14155550199", "+14155560100"}),
    ],
)
def test_a_search_by_digits_reads_a_range_of_numbers(login, agent, make_batch, typed, found):
    """Digit prefixes are ranges (``>= +1415555``, ``< +1415556``) that the index on
    the number serves; ``LIKE`` read all 10M messages (18 s for a full number)."""
    numbers = ["+14155550101", "+14155550199", "+14155560100", "+19995550100", "+13105550100"]
    make_batch(numbers, send_at=timezone.now() + dt.timedelta(hours=1))
    html = login(agent).get(reverse("messaging:index"), {"q": typed}).content.decode()
    assert {n for n in numbers if n in html} == found


@pytest.mark.parametrize("limit", [10_000, 2], ids=["few", "many"])
def test_a_search_lists_newest_first_with_a_batchs_ties_by_id_either_way(
    login, agent, make_batch, monkeypatch, limit
):
    """A short search is read through its own index and sorted (``MessageTable.few``),
    a long one along the newest-first index: the same order, newest first, a batch's
    messages (one request time) newest id first."""
    monkeypatch.setattr("messaging.views.SORT_LIMIT", limit)
    older = make_batch(["+14155550107", "+14155550105"])
    Message.objects.filter(batch=older).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    make_batch(["+14155550104", "+14155550106", "+14155550103"])
    expected = list(Message.objects.order_by("-requested_at", "-id").values_list("subscriber"))
    html = login(agent).get(reverse("messaging:index"), {"q": "415555010"}).content.decode()
    shown = [number for (number,) in expected if number in html]
    assert sorted(shown, key=html.index) == [number for (number,) in expected]
    assert [number for (number,) in expected][:3] == [
        "+14155550103",
        "+14155550106",
        "+14155550104",
    ]
    assert ('data-testid="sort-limit"' in html) is (limit == 2)


def test_the_batches_list_searches_by_id_label_and_file_and_sorts_a_searchs_batches(
    login, agent, make_batch, monkeypatch
):
    """A batch id finds its batch in any case; other text, the labels containing it;
    the File name filter, the batches sent from such a file. Other columns than
    Created sort only a search's or a filter's batches (sorting 361,781 by status,
    size or sender took 126-471 ms), and the page says so."""
    spring = make_batch(["+14155550101"], label="Spring sale")
    july = make_batch(
        ["+14155550102", "+14155550103"], label="July", trigger="file", file_name="july.csv"
    )
    other = make_batch(["+14155550104"], label="Other")
    client = login(agent)
    url = reverse("messaging:batches")

    def listed(params):
        html = client.get(url, params).content.decode()
        return html, {b.public_id for b in (spring, july, other) if b.public_id in html}

    assert listed({"q": july.public_id.lower()})[1] == {july.public_id}
    assert listed({"q": "sale"})[1] == {spring.public_id}
    assert listed({"file_name": "JULY"})[1] == {july.public_id}
    assert listed({"file_name": "march"})[1] == set()

    def head(html):
        return html.split("<thead")[1].split("</thead>")[0]

    html, shown = listed({"sort": "-message_count"})
    assert shown == {spring.public_id, july.public_id, other.public_id}
    assert 'data-testid="sort-limit"' in html and "sort=message_count" not in head(html)
    assert "sort=created_at" in head(html)
    # Newest first, whatever the URL asked for.
    assert html.index(other.public_id) < html.index(july.public_id) < html.index(spring.public_id)
    html, _ = listed({"q": "l", "sort": "-message_count"})  # "Spring sale", "July"
    assert 'data-testid="sort-limit"' not in html and "sort=message_count" in head(html)
    assert html.index(july.public_id) < html.index(spring.public_id)
    monkeypatch.setattr("messaging.views.SORT_LIMIT", 1)
    html, _ = listed({"q": "l", "sort": "-message_count"})
    assert 'data-testid="sort-limit"' in html


def test_the_messages_and_batches_lists_export_every_row_their_filters_leave(
    login, agent, make_batch, other_agent
):
    """Not one page: every matching row, newest first, as CSV (streamed) or XLSX;
    a label a spreadsheet would run as a formula is neutralised."""
    import csv
    import io

    from openpyxl import load_workbook

    first = make_batch(["+14155550101", "+14155550102"], label="=HYPERLINK(1)")
    second = make_batch(["+14155550103"], label="July")
    client = login(agent)

    response = client.get(reverse("messaging:index"), {"q": "41555501", "_export": "csv"})
    assert response["Content-Disposition"].startswith('attachment; filename="messages-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    assert rows[0][:5] == ["Requested", "Customer", "Direction", "Sender", "Status"]
    assert [row[1] for row in rows[1:]] == ["+14155550103", "+14155550102", "+14155550101"]
    assert [row[8] for row in rows[1:]] == [second.public_id] + [first.public_id] * 2
    assert rows[2][7] == "'=HYPERLINK(1)"

    response = client.get(reverse("messaging:batches"), {"q": "july", "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Batch", "Created", "Sender"]
    assert [row[0] for row in values[1:]] == [second.public_id]

    # The page links to both, with its filters; another organization exports nothing.
    html = client.get(reverse("messaging:batches"), {"q": "july", "page": "2"}).content.decode()
    assert "?q=july&amp;_export=csv" in html and "?q=july&amp;_export=xlsx" in html
    response = login(other_agent).get(reverse("messaging:batches"), {"_export": "csv"})
    assert len(b"".join(response.streaming_content).decode().splitlines()) == 1


@pytest.mark.parametrize(
    ("typed", "matches", "limit", "sorts"),
    [
        ("4155550", 3, 3, True),  # +4155550… (none) and +14155550… (3): 3 of at most 3
        ("4155550", 3, 2, False),
        ("+14155550101", 1, 1, True),  # a number within its own prefix: counted once
        ("14155550", 3, 3, True),  # +14155550… within +14155550… and +114155550…
    ],
)
def test_a_search_is_counted_one_alternative_at_a_time(
    login, agent, make_batch, monkeypatch, typed, matches, limit, sorts
):
    """Digits mean a number with and without the country code: an index reads each
    alternative alone, not their OR (68 ms for a 100,000-match prefix at 10M, then 3
    ms). Counted apart, each match counts once: the sort is offered up to the limit."""
    monkeypatch.setattr("messaging.views.SORT_LIMIT", limit)
    make_batch(["+14155550101", "+14155550102", "+14155550103", "+13105550100"])
    html = login(agent).get(reverse("messaging:index"), {"q": typed}).content.decode()
    assert html.count("+1415555010") >= matches and "+13105550100" not in html
    assert ('data-testid="sort-limit"' in html) is not sorts
