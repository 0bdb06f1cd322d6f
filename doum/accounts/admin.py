from django.contrib import admin

from doum.accounts.models import ApiToken, AuditLog, Brand, Identity, Organization, Team, User
from doum.core.admin_base import ReadOnlyAdmin


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    list_display = ("id", "name", "email", "role", "organization", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("name", "email")
    exclude = ("password",)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)


admin.site.register([Team, Organization, Identity, Brand], ReadOnlyAdmin)
