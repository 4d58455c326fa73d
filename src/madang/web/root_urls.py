"""URLs without a language prefix: machine-readable exports, sitemap, robots."""

from django.urls import path

urlpatterns: list = []
