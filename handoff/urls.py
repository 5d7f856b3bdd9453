from django.urls import path

from blocklists import interception_views
from handoff import views
from messaging import views as messaging_views

app_name = "handoff"

urlpatterns = [
    path("", views.index, name="index"),
    path("block-list/", views.block_list, name="block-list"),
    path("messages/", views.message_lookup, name="messages"),
    path("status/", views.sms_status, name="sms-status"),
    path("replies/", views.replies, name="replies"),
    # "Messages sent": the batches page of Messaging, reachable from the agent's section.
    path("batches/", messaging_views.batches, name="batches"),
    path("numbers/<str:number>/", views.number_page, name="number"),
    # The same page as under Blocklists, reachable from the agent's section.
    path("interceptions/", interception_views.interception_list, name="interceptions"),
]
