from django.contrib import admin

from contacts.models import Contact, ContactEvent, Ticket, TicketMessage


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["__str__", "phone", "email", "whatsapp", "blocked", "organization"]
    list_filter = ["blocked", "organization"]
    search_fields = ["name", "phone", "email", "whatsapp"]
    # Blocking goes through the pages, which close tickets and write the audit event.
    readonly_fields = ["blocked", "blocked_at", "blocked_by", "blocked_reason"]
    show_full_result_count = False


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    extra = 0
    readonly_fields = ["direction", "channel", "text", "external_id", "created_at"]
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["__str__", "contact", "sender", "queue", "assignee", "updated_at"]
    list_filter = ["queue", "organization"]
    raw_id_fields = ["contact", "assignee"]
    # The queue changes only through the services (block, unblock, take).
    readonly_fields = ["queue"]
    inlines = [TicketMessageInline]
    show_full_result_count = False


@admin.register(ContactEvent)
class ContactEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "contact_name", "actor_name", "ticket_count"]
    list_filter = ["action", "organization"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
