"""URL map: the public site and back office under /ko/ and /en/, exports without a language."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("madang.web.root_urls")),
]
urlpatterns += i18n_patterns(
    path("manage/", admin.site.urls),
    # Accounts (People issue): sign-up, sign-in, codes, social login; before the editions,
    # whose slugs may not take the name "accounts".
    path("accounts/", include("madang.accounts.urls")),
    path("", include("madang.checkin.urls")),
    path("", include("madang.stage.urls")),
    path("", include("madang.venue.urls")),
    path("", include("madang.web.urls")),
    prefix_default_language=True,
)

handler404 = "madang.web.views.page_not_found"
handler500 = "madang.web.views.server_error"
# Also used by allauth when one of its rate limits is reached.
handler429 = "madang.common.ratelimit.too_many_requests"
