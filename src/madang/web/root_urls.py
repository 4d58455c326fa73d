"""URLs without a language prefix: machine-readable exports, sitemap, robots."""

from django.urls import include, path

urlpatterns = [
    path("", include("madang.program.export_urls")),
    path("", include("madang.web.site_urls")),
]
