from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MethodsConfig(AppConfig):
    name = "bazaar.methods"
    label = "methods"
    verbose_name = _("Payment, shipping and pickup")
