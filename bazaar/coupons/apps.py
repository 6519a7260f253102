from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "bazaar.coupons"
    label = "coupons"
