from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "bazaar.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
