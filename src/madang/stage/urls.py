"""Live stages under /<lang>/<edition slug>/stage/<room number or stage address name>/…"""

from django.urls import URLPattern, path

from madang.stage import views
from madang.stage.chat import urls as chat_urls
from madang.stage.interaction.urls import urlpatterns as interaction_urls

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/stage/<slug:key>/", views.stage_page, name="stage"),
    path(
        "<slug:slug>/stage/<slug:key>/captions/<int:file_id>.vtt",
        views.caption_file,
        name="stage-caption-file",
    ),
    path("<slug:slug>/stage/<slug:key>/captioner/", views.captioner, name="stage-captioner"),
    path(
        "<slug:slug>/stage/<slug:key>/captioner/token/",
        views.caption_token,
        name="stage-caption-token",
    ),
    path("<slug:slug>/stage/<slug:key>/captions/", views.caption_api, name="stage-caption-api"),
]
urlpatterns += chat_urls.urlpatterns

urlpatterns += interaction_urls
