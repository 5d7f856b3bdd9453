from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.contact_page, name="contact"),
    path("<int:pk>/block/", views.block, name="block"),
    path("<int:pk>/unblock/", views.unblock, name="unblock"),
    path("dashboard/", views.agent_dashboard, name="agent-dashboard"),
    path("supervisor/", views.supervisor_dashboard, name="supervisor-dashboard"),
    path("tickets/blocked/", views.blocked_tickets, name="blocked-tickets"),
    path("tickets/<int:pk>/", views.ticket_page, name="ticket"),
    path("tickets/<int:pk>/take/", views.take_ticket, name="take-ticket"),
    path("tickets/<int:pk>/unblock/", views.unblock_ticket, name="unblock-ticket"),
]
