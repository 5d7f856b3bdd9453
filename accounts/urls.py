from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("senders/new/", views.sender_edit, name="sender-create"),
    path("senders/<int:pk>/", views.sender_edit, name="sender-edit"),
    path("subaccounts/new/", views.subaccount_edit, name="subaccount-create"),
    path("subaccounts/<int:pk>/", views.subaccount_edit, name="subaccount-edit"),
    path("api-tokens/", views.api_tokens, name="api-tokens"),
    path("api-tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
]
