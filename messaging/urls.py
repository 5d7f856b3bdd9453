from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("", views.index, name="index"),
    path("batches/", views.batches, name="batches"),
    path("batches/<str:public_id>/", views.batch_detail, name="batch"),
    path("batches/<str:public_id>/cancel/", views.batch_cancel, name="batch-cancel"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("send/", views.send, name="send"),
]
