from django.contrib import admin

from accounts.models import Heartbeat, Membership, Organization, Sender, Subaccount


class SubaccountInline(admin.TabularInline):
    model = Subaccount
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "time_zone", "block_contacts_enabled", "bot_enabled"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SubaccountInline]


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ["address", "name", "kind", "organization", "subaccount"]
    list_filter = ["kind", "organization"]
    search_fields = ["address", "name"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "seen_at"]
