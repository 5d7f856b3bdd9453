from django.urls import path

from blocklists import views
from blocklists.import_urls import urlpatterns as import_urlpatterns

app_name = "blocklists"

urlpatterns = [
    path("", views.blocklist, name="index"),
    path("history/", views.history, name="history"),
    path("panel/", views.subscriber_panel, name="subscriber-panel"),
    path("<int:sender_pk>/add/", views.add, name="add"),
    path("<int:sender_pk>/entries/<int:pk>/revert/", views.revert, name="revert"),
    *import_urlpatterns,
]
