"""Live stages under /<lang>/<edition slug>/…"""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
