"""Check-in for staff under /<lang>/<edition slug>/checkin/, and a registrant's badge PDF."""

from django.urls import path

from madang.checkin import views

urlpatterns = [
    path("<slug:slug>/checkin/", views.choose_entrance, name="checkin"),
    path("<slug:slug>/checkin/sync/", views.sync, name="checkin-sync"),
    path("<slug:slug>/checkin/counts/", views.counts, name="checkin-counts"),
    path("<slug:slug>/checkin/<int:entrance_id>/", views.scan_page, name="checkin-entrance"),
    path(
        "<slug:slug>/registration/<str:token>/badge.pdf",
        views.registration_badge_pdf,
        name="registration-badge-pdf",
    ),
]
