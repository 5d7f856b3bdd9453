from django.urls import path

from blocklists import interception_views, keyword_views, views
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
    path("keywords/", keyword_views.keyword_settings, name="keywords"),
    path("keywords/<int:pk>/remove/", keyword_views.keyword_remove, name="keyword-remove"),
    path("review/", keyword_views.review_queue, name="review"),
    path("review/<int:pk>/<str:decision>/", keyword_views.review_decide, name="review-decide"),
    *import_urlpatterns,
]
