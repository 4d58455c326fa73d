"""The project's URLs plus ``/bench-hello/``: the cheapest Django view, served the same way.

The project's patterns are spliced in rather than included, so LocaleMiddleware still finds the
language-prefixed patterns at the top level and behaves exactly as it does in production.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path

from madang.config import urls as project_urls


def hello(request: HttpRequest) -> HttpResponse:
    """The baseline every page is compared with: the full middleware stack and no work."""
    return HttpResponse("hello")


urlpatterns: list[URLPattern | URLResolver] = [
    path("bench-hello/", hello, name="bench-hello"),
    *project_urls.urlpatterns,
]
handler404 = project_urls.handler404
handler500 = project_urls.handler500
