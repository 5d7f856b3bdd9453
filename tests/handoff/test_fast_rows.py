"""The search pages render their rows in Python (accounts.columns.FastRowsTable):
the HTML must be django-tables2's own, cell for cell, for every such table."""

import datetime as dt
import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone
from django_tables2 import RequestConfig

from blocklists import keywords
from handoff.lookups import MessageLookupTable
from handoff.replies import ReplyTable
from handoff.status import SmsStatusTable
from messaging.models import Message
from messaging.selectors import with_answered
from messaging.services import create_batch
from messaging.tables import MessageTable

ROW = re.compile(r"<tr[^>]*>.*?</tr>", re.S)


def body(html: str) -> list[str]:
    tbody = html[html.index("<tbody") : html.index("</tbody>")]
    return [re.sub(r">\s+<", "><", row.strip()) for row in ROW.findall(tbody)]


def both_ways(table_class, queryset):
    """The table rendered as the pages do, and with django-tables2's own template."""
    request = RequestFactory().get("/")
    rendered = []
    for template in (None, "django_tables2/bootstrap5.html"):
        table = table_class(queryset, template_name=template)
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        html = engines["django"].from_string("{% load django_tables2 %}{% render_table table %}")
        rendered.append(body(html.render({"table": table}, request)))
    return rendered


@pytest.fixture
def messages(org, sender, admin_user):
    keywords.ensure_default_keywords(org)
    batch = create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550101", "+14155550102"],
        text="<b>Hello</b> & welcome, a text long enough to be shortened in the table ...",
        template="welcome <v2>",
        label="spring",
        created_by=admin_user,
    )
    Message.objects.filter(batch=batch, subscriber="+14155550102").update(
        status="send_failed", failure_code=530, sent_at=timezone.now()
    )
    keywords.handle_inbound_text(
        organization=org, sender=sender, subscriber="+14155550101", text="STOP <script>"
    )
    Message.objects.create(
        organization=org,
        sender=sender,
        direction="inbound",
        channel=sender.kind,
        subscriber="+14155550101",
        text="Is it <i>you</i>?",
        status="received",
        requested_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return Message.objects.select_related("sender", "batch")


@pytest.mark.parametrize(
    ("table_class", "narrow", "shows_text"),
    [
        (MessageLookupTable, lambda qs: qs, True),
        (SmsStatusTable, lambda qs: qs.filter(direction="outbound"), True),
        (ReplyTable, lambda qs: with_answered(qs.filter(direction="inbound")), True),
        (MessageTable, lambda qs: qs, False),
    ],
)
def test_rows_are_django_tables2s_own(messages, table_class, narrow, shows_text, settings):
    settings.TIME_ZONE = "America/New_York"
    fast, reference = both_ways(table_class, narrow(messages))
    assert len(fast) == len(reference) >= 1
    assert fast == reference
    # Customer text is escaped, not markup.
    assert ("&lt;" in "".join(fast)) is shows_text


def test_an_empty_table_says_so(org):
    fast, reference = both_ways(MessageLookupTable, Message.objects.none())
    assert fast == reference


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("handoff:number", "+14155550101"),
        ("handoff:number", "jo smith+news@acme.example"),
        ("handoff:number", "50%off?#é"),
        ("messaging:message", 12),
    ],
)
def test_row_links_are_what_reverse_gives(name, value):
    from django.urls import reverse

    from accounts.columns import url_for_each

    assert url_for_each(name, value) == reverse(name, args=[value])


def test_batch_rows_are_django_tables2s_own(org, sender, admin_user, settings):
    from messaging.models import Batch
    from messaging.tables import BatchTable

    settings.TIME_ZONE = "America/New_York"
    create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550101"],
        text="Hi",
        label="<b>spring</b> & co",
        created_by=admin_user,
    )
    create_batch(
        organization=org,
        sender=sender,
        subscribers=["+14155550102", "+14155550103"],
        text="Hi",
        trigger="file",
        file_name="july.csv",
        send_at=timezone.now() + dt.timedelta(hours=1),
    )
    fast, reference = both_ways(BatchTable, Batch.objects.select_related("sender"))
    assert len(fast) == len(reference) == 2
    assert fast == reference
    assert "&lt;b&gt;spring&lt;/b&gt; &amp; co" in "".join(fast)
