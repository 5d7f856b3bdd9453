from django.apps import AppConfig


class BlocklistsConfig(AppConfig):
    name = "blocklists"
