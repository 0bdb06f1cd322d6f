from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "doum.accounts"
    label = "accounts"
    verbose_name = "Accounts"
