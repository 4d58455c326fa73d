"""Public registration pages, under /<lang>/<edition slug>/register/."""

from django.urls import path

from madang.registration import views

urlpatterns = [
    path("<slug:slug>/register/", views.register, name="register"),
    path(
        "<slug:slug>/register/done/<slug:reference>/",
        views.register_done,
        name="register-done",
    ),
]
