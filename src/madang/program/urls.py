"""Public pages of an edition, under /<lang>/<edition slug>/."""

from django.urls import path

from madang.program import views

urlpatterns = [
    path("<slug:slug>/", views.event_home, name="event-home"),
    path("<slug:slug>/program/", views.program, name="program"),
    path("<slug:slug>/timetable/", views.timetable, name="timetable"),
    path(
        "<slug:slug>/sessions/<slug:session_slug>/",
        views.session_detail,
        name="session",
    ),
    path("<slug:slug>/people/", views.people, name="people"),
    path("<slug:slug>/people/<slug:person_slug>/", views.person_detail, name="person"),
]
