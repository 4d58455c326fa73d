"""Chat pages under /<lang>/<edition slug>/sessions/<session id>/chat/…"""

from django.urls import URLPattern, path

from madang.stage.chat import views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/sessions/<int:session_id>/chat/", views.chat_page, name="stage-chat"),
    path(
        "<slug:slug>/sessions/<int:session_id>/chat/moderate/",
        views.moderate_page,
        name="stage-chat-moderate",
    ),
]
