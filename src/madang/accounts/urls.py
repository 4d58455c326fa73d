"""Accounts under /<lang>/accounts/: the visitor's own page, then allauth's pages."""

from django.urls import include, path

from madang.accounts import views

urlpatterns = [
    path("", views.account_home, name="account-home"),
    path("", include("allauth.urls")),
]
