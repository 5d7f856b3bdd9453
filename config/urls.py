from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts import views as account_views
from accounts.login import ThrottledLoginView
from messaging.api import api

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", ThrottledLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", include("accounts.urls")),
    path("handoff/", include("handoff.urls")),
    path("blocklists/", include("blocklists.urls")),
    path("messaging/", include("messaging.urls")),
    path("contacts/", include("contacts.urls")),
    path("u/", include("blocklists.unsubscribe_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
