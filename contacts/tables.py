import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from contacts.models import Contact, Queue, Ticket

QUEUE_BADGES = {
    Queue.BOT: "text-bg-info",
    Queue.UNASSIGNED: "text-bg-warning",
    Queue.ASSIGNED: "text-bg-primary",
    Queue.BLOCKED: "text-bg-danger",
    Queue.CLOSED: "text-bg-secondary",
}


# innerHTML: the links sit inside lists whose hx-swap is outerHTML, which would replace
# the modal's body element itself.
MODAL_TARGET = 'hx-target="#modal-body" hx-swap="innerHTML" hx-push-url="false"'


def with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def modal_link(url: str, label: str, css: str = "btn btn-sm btn-outline-secondary"):
    """A link that opens ``url`` in the page's dialog with htmx, or as a page without it."""
    return format_html(
        '<a class="{}" href="{}" hx-get="{}" ' + MODAL_TARGET + ">{}</a>",
        css,
        url,
        url,
        label,
    )


def post_button(request, url: str, label: str, css: str, next_url: str):
    """A one-button form; with htmx the answer redirects the page, without it the form posts."""
    return format_html(
        '<form method="post" action="{}" hx-post="{}" class="d-inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="{}">{}</button></form>',
        url,
        url,
        get_token(request),
        next_url,
        css,
        label,
    )


class ContactTable(tables.Table):
    name = tables.Column(verbose_name="Name", empty_values=())
    phone = tables.Column(verbose_name="Phone", orderable=False)
    email = tables.Column(verbose_name="Email", orderable=False)
    whatsapp = tables.Column(verbose_name="WhatsApp", orderable=False)
    blocked_at = tables.DateTimeColumn(verbose_name="Blocked", format="Y-m-d H:i T")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="Actions")

    class Meta:
        model = Contact
        fields = ["name", "phone", "email", "whatsapp", "blocked_at"]
        sequence = ["name", "phone", "email", "whatsapp", "blocked_at", "actions"]
        attrs = {"class": "table table-hover table-sm align-middle", "id": "contacts-table"}
        empty_text = "No contacts."

    def __init__(self, *args, can_block=False, can_unblock=False, next_url="", **kwargs):
        self.can_block = can_block
        self.can_unblock = can_unblock
        self.next_url = next_url
        super().__init__(*args, **kwargs)

    def render_name(self, record: Contact):
        url = reverse("contacts:contact", args=[record.pk])
        badge = (
            mark_safe(' <span class="badge text-bg-danger">Blocked</span>')
            if record.blocked
            else ""
        )
        return format_html(
            '<a href="{}" hx-get="{}" ' + MODAL_TARGET + ">{}</a>{}",
            url,
            url,
            record.display_name,
            badge,
        )

    def render_actions(self, record: Contact):
        links = [modal_link(reverse("contacts:contact", args=[record.pk]), "Open")]
        if record.blocked and self.can_unblock:
            url = with_next(reverse("contacts:unblock", args=[record.pk]), self.next_url)
            links.append(modal_link(url, "Unblock…", "btn btn-sm btn-outline-primary"))
        elif not record.blocked and self.can_block:
            url = with_next(reverse("contacts:block", args=[record.pk]), self.next_url)
            links.append(modal_link(url, "Block…", "btn btn-sm btn-outline-danger"))
        return format_html_join(" ", "{}", ((link,) for link in links))

    def value_actions(self, record):
        return ""

    def order_name(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}name", f"{prefix}id"), True

    def order_blocked_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}blocked_at", f"{prefix}id"), True


class TicketTable(tables.Table):
    id = tables.Column(verbose_name="Ticket")
    contact = tables.Column(verbose_name="Contact", orderable=False)
    sender = tables.Column(verbose_name="Channel", orderable=False)
    queue = tables.Column(verbose_name="Queue", orderable=False)
    assignee = tables.Column(verbose_name="Assignee", orderable=False)
    updated_at = tables.DateTimeColumn(verbose_name="Last activity", format="Y-m-d H:i T")
    actions = tables.Column(empty_values=(), orderable=False, verbose_name="Actions")

    class Meta:
        model = Ticket
        fields = ["id", "contact", "sender", "queue", "assignee", "updated_at"]
        sequence = ["id", "contact", "sender", "queue", "assignee", "updated_at", "actions"]
        attrs = {"class": "table table-hover table-sm align-middle"}
        empty_text = "No tickets."

    def __init__(
        self, *args, can_block=False, can_unblock=False, can_take=False, next_url="", **kwargs
    ):
        self.can_block = can_block
        self.can_unblock = can_unblock
        self.can_take = can_take
        self.next_url = next_url
        super().__init__(*args, **kwargs)

    def render_id(self, record: Ticket):
        url = reverse("contacts:ticket", args=[record.pk])
        return format_html('<a href="{}">#{}</a>', url, record.pk)

    def render_contact(self, record: Ticket):
        url = reverse("contacts:contact", args=[record.contact_id])
        return format_html(
            '<a href="{}" hx-get="{}" ' + MODAL_TARGET + ">{}</a>",
            url,
            url,
            record.contact.display_name,
        )

    def render_sender(self, record: Ticket):
        return record.sender.address if record.sender else "—"

    def render_queue(self, record: Ticket):
        return format_html(
            '<span class="badge {}">{}</span>',
            QUEUE_BADGES[record.queue],
            record.get_queue_display(),
        )

    def render_assignee(self, record: Ticket):
        return record.assignee.get_username() if record.assignee else "—"

    def render_actions(self, record: Ticket):
        request = self.request
        links = []
        if self.can_take and record.queue in (Queue.UNASSIGNED, Queue.BOT):
            url = reverse("contacts:take-ticket", args=[record.pk])
            links.append(post_button(request, url, "Take", "btn btn-sm btn-primary", self.next_url))
        if self.can_unblock and record.queue == Queue.BLOCKED:
            url = reverse("contacts:unblock-ticket", args=[record.pk])
            links.append(
                post_button(
                    request, url, "Unblock ticket", "btn btn-sm btn-outline-primary", self.next_url
                )
            )
            url = with_next(reverse("contacts:unblock", args=[record.contact_id]), self.next_url)
            links.append(modal_link(url, "Unblock contact…", "btn btn-sm btn-outline-secondary"))
        if self.can_block and not record.contact.blocked:
            url = with_next(reverse("contacts:block", args=[record.contact_id]), self.next_url)
            links.append(modal_link(url, "Block contact…", "btn btn-sm btn-outline-danger"))
        return format_html_join(" ", "{}", ((link,) for link in links))

    def value_actions(self, record):
        return ""

    def order_id(self, queryset, is_descending):
        return queryset.order_by("-id" if is_descending else "id"), True

    def order_updated_at(self, queryset, is_descending):
        prefix = "-" if is_descending else ""
        return queryset.order_by(f"{prefix}updated_at", f"{prefix}id"), True
