"""URL patterns of the CSV import pages; added to the ``blocklists`` namespace."""

from django.urls import path

from blocklists import import_views

urlpatterns = [
    path("imports/", import_views.job_list, name="import-list"),
    path("imports/upload/<int:sender_pk>/", import_views.upload, name="import-upload"),
    path("imports/<int:pk>/", import_views.job_detail, name="import-detail"),
    path("imports/<int:pk>/map/", import_views.map_fields, name="import-map"),
    path("imports/<int:pk>/cancel/", import_views.cancel, name="import-cancel"),
    path("imports/<int:pk>/retry/", import_views.retry, name="import-retry"),
    path("imports/<int:pk>/errors.csv", import_views.errors_csv, name="import-errors"),
]
