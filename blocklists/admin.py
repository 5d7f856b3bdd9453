from django.contrib import admin

from blocklists.models import (
    BlocklistEntry,
    BlocklistEvent,
    ConsentText,
    ImportJob,
    Interception,
    InterceptionEvent,
    InterceptionRule,
)


@admin.register(InterceptionRule)
class InterceptionRuleAdmin(admin.ModelAdmin):
    """The code table: platform staff change what each failure code does."""

    list_display = ["code", "description", "scope", "duration"]
    list_editable = ["scope", "duration"]


@admin.register(Interception)
class InterceptionAdmin(admin.ModelAdmin):
    list_display = ["number", "scope", "organization", "source_organization", "code", "expires_at"]
    list_filter = ["scope", "code", "origin"]
    search_fields = ["=number"]
    show_full_result_count = False


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin):
    list_display = ["purpose", "version", "created_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a new wording is a new version, never an edit


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(ReadOnlyAdmin):
    list_display = ["subscriber", "sender", "reason", "source", "excluded_at"]
    search_fields = ["=subscriber"]
    list_select_related = ["sender"]


@admin.register(BlocklistEvent)
class BlocklistEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "subscriber", "sender_address", "actor_name"]
    search_fields = ["=subscriber"]


@admin.register(InterceptionEvent)
class InterceptionEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "number", "scope", "code", "actor_name"]
    search_fields = ["=number"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "file_name", "sender", "status", "rows_added", "created_at"]
    list_filter = ["status"]
