from django.urls import path

from blocklists import views

app_name = "blocklists"

urlpatterns = [
    path("", views.index, name="index"),
]
