"""Public registration pages, under /<lang>/<edition slug>/register/, and the personal agenda."""

from django.urls import path

from madang.registration import agenda_views, manage_views, views

urlpatterns = [
    # "agenda" is a reserved edition slug (program.models.RESERVED_SLUGS), so these come first.
    path("agenda/", agenda_views.agenda_page, name="agenda"),
    path("agenda/star/<int:session_id>/", agenda_views.star, name="agenda-star"),
    path("agenda/unstar/<int:session_id>/", agenda_views.unstar, name="agenda-unstar"),
    path("agenda/control/<int:session_id>/", agenda_views.star_control, name="agenda-control"),
    path("agenda/feed/", agenda_views.feed_rotate, name="agenda-feed-rotate"),
    path("agenda/feed/revoke/", agenda_views.feed_revoke, name="agenda-feed-revoke"),
    path("agenda/feed/<slug:token>.ics", agenda_views.feed, name="agenda-feed"),
    # The registrant's personal page; the token is its only credential (manage_views.py).
    path(
        "<slug:slug>/registration/<slug:token>/",
        manage_views.manage_page,
        name="registration-manage",
    ),
    path(
        "<slug:slug>/registration/<slug:token>/accept/",
        manage_views.accept,
        name="registration-accept",
    ),
    path(
        "<slug:slug>/registration/<slug:token>/cancel/",
        manage_views.cancel,
        name="registration-cancel",
    ),
    path(
        "<slug:slug>/registration/<slug:token>/sessions/<int:session_id>/book/",
        manage_views.book_session,
        name="registration-book-session",
    ),
    path(
        "<slug:slug>/registration/<slug:token>/sessions/<int:session_id>/cancel/",
        manage_views.cancel_session,
        name="registration-cancel-session",
    ),
    path(
        "<slug:slug>/registration/<str:token>/consents/<int:consent_id>/withdraw/",
        manage_views.withdraw_consent,
        name="registration-withdraw-consent",
    ),
    # The wrapper lets the result page show the personal link to the browser that registered.
    path(
        "<slug:slug>/register/",
        manage_views.remembers_registrant(views.register),
        name="register",
    ),
    # Questions per category and personal invitations (views.py).
    path(
        "<slug:slug>/register/questions/",
        views.register_questions,
        name="register-questions",
    ),
    path(
        "<slug:slug>/invitation/<slug:token>/",
        manage_views.remembers_registrant(views.invitation),
        name="registration-invitation",
    ),
    path(
        "<slug:slug>/register/done/<slug:reference>/",
        views.register_done,
        name="register-done",
    ),
]
