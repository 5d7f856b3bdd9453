from django.urls import path

from blocklists import interception_views, views
from blocklists.import_urls import urlpatterns as import_urlpatterns

app_name = "blocklists"

urlpatterns = [
    path("", views.blocklist, name="index"),
    path("history/", views.history, name="history"),
    path("panel/", views.subscriber_panel, name="subscriber-panel"),
    path("<int:sender_pk>/add/", views.add, name="add"),
    path("<int:sender_pk>/entries/<int:pk>/revert/", views.revert, name="revert"),
    path("interceptions/", interception_views.interception_list, name="interceptions"),
    path(
        "interceptions/<int:pk>/delete/",
        interception_views.interception_delete,
        name="interception-delete",
    ),
    *import_urlpatterns,
]
