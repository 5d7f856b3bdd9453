"""Public email unsubscribe links (no login)."""

from django.urls import path

from blocklists import unsubscribe_views as views

app_name = "unsubscribe"

urlpatterns = [
    path("<str:token>/", views.unsubscribe, name="unsubscribe"),
]
