from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "madang.web"
    label = "web"
