"""Public pages under /ko/ and /en/."""

from django.urls import include, path

urlpatterns = [
    path("", include("madang.program.urls")),
]
