"""Public registration pages, under /<lang>/<edition slug>/register/, and the personal agenda."""

from django.urls import path

from madang.registration import agenda_views, views

urlpatterns = [
    # "agenda" is a reserved edition slug (program.models.RESERVED_SLUGS), so these come first.
    path("agenda/", agenda_views.agenda_page, name="agenda"),
    path("agenda/star/<int:session_id>/", agenda_views.star, name="agenda-star"),
    path("agenda/unstar/<int:session_id>/", agenda_views.unstar, name="agenda-unstar"),
    path("agenda/control/<int:session_id>/", agenda_views.star_control, name="agenda-control"),
    path("agenda/feed/", agenda_views.feed_rotate, name="agenda-feed-rotate"),
    path("agenda/feed/revoke/", agenda_views.feed_revoke, name="agenda-feed-revoke"),
    path("agenda/feed/<slug:token>.ics", agenda_views.feed, name="agenda-feed"),
    path("<slug:slug>/register/", views.register, name="register"),
    path(
        "<slug:slug>/register/done/<slug:reference>/",
        views.register_done,
        name="register-done",
    ),
]
