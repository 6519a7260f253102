from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bazaar.accounts"
    label = "accounts"
    verbose_name = "Accounts and permissions"
