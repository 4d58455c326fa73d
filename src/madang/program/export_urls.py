"""Program exports without a language prefix: /<edition>/schedule.json and friends."""

from django.urls import URLPattern, path

from madang.program import export_views

urlpatterns: list[URLPattern] = [
    path("<slug:slug>/schedule.json", export_views.schedule_json, name="schedule-json"),
    path("<slug:slug>/schedule.xml", export_views.schedule_xml, name="schedule-xml"),
    path("<slug:slug>/schedule.ics", export_views.schedule_ics, name="schedule-ics"),
    path(
        "<slug:slug>/sessions/<slug:session_slug>.ics",
        export_views.session_ics,
        name="session-ics",
    ),
]
