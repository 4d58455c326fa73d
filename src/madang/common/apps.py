from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "madang.common"
    label = "common"
