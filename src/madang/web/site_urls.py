"""Site-wide files without a language prefix: the sitemap and robots.txt."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from madang.web import views
from madang.web.sitemaps import SITEMAPS

urlpatterns = [
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots"),
]
