"""Public pages under /ko/ and /en/."""

from django.urls import include, path

from madang.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("archive/", views.archive, name="archive"),
    path("search/", views.search, name="search"),
    path("prefs/", views.preferences, name="prefs"),
    # Editions last: their slugs may not take the names above (see RESERVED_SLUGS).
    path("", include("madang.registration.urls")),
    path("", include("madang.program.urls")),
]
