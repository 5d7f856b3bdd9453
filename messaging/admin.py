from django.contrib import admin

from messaging.models import Batch, ClearedTerm, Message, ProhibitedTerm


@admin.register(ProhibitedTerm)
class ProhibitedTermAdmin(admin.ModelAdmin):
    list_display = ["term", "kind", "note", "created_at"]
    list_filter = ["kind"]
    search_fields = ["term"]


@admin.register(ClearedTerm)
class ClearedTermAdmin(admin.ModelAdmin):
    list_display = ["term", "organization", "cleared_by", "created_at"]
    list_filter = ["organization"]
    search_fields = ["term"]
    raw_id_fields = ["cleared_by"]


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ["public_id", "organization", "sender", "trigger", "status", "created_at"]
    list_filter = ["status", "trigger"]
    search_fields = ["public_id", "label"]
    raw_id_fields = ["organization", "subaccount", "sender", "created_by"]
    # The admin's COUNT(*) is costly on large tables (see TOOLCHAIN.md).
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = [
        "subscriber",
        "sender",
        "status",
        "failure_code",
        "failure_category",
        "requested_at",
    ]
    list_filter = ["status", "channel", "direction"]
    search_fields = ["=subscriber", "=provider_message_id"]
    raw_id_fields = ["organization", "subaccount", "sender", "batch"]
    show_full_result_count = False
