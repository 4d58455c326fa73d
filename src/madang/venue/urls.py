"""The virtual venue under /<lang>/<edition slug>/venue/…"""

from django.urls import URLPattern, path

from madang.venue import views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/venue/", views.space_list, name="venue"),
    path("<slug:slug>/venue/<slug:space>/", views.space_page, name="venue-space"),
    path("<slug:slug>/venue/<slug:space>/list/", views.space_list_view, name="venue-space-list"),
]
