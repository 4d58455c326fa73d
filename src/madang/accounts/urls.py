"""Accounts under /<lang>/accounts/: the visitor's own page, then allauth's pages."""

from django.urls import include, path

from madang.accounts import views

urlpatterns = [
    path("", views.account_home, name="account-home"),
    path("data/", views.account_data, name="account-data"),
    path("delete/", views.account_delete, name="account-delete"),
    path("deleted/", views.account_deleted, name="account-deleted"),
    path("login/link/", views.login_link_request, name="account-login-link"),
    path("login/link/<str:token>/", views.login_link_confirm, name="account-login-link-confirm"),
    path("", include("allauth.urls")),
]
