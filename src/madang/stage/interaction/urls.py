"""The audience page, kiosk screens and moderator consoles under /<lang>/<edition slug>/…"""

from django.urls import URLPattern, path

from madang.stage.interaction import views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/sessions/<int:session_id>/audience/", views.audience, name="stage-audience"),
    path("<slug:slug>/kiosk/<slug:key>/", views.kiosk, name="stage-kiosk"),
    path("<slug:slug>/moderate/<int:session_id>/", views.console, name="stage-moderate"),
]
