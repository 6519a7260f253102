from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "bazaar.media"
    label = "media"
