from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.home, name="home"),
    path("start/<slug:key>/", views.start, name="start"),
    path("runs/<int:run_id>/", views.run_page, name="run"),
    path("demo-api/runs/<int:run_id>/form/", api.form, name="demo-form"),
    path("demo-api/outbox/", api.outbox, name="demo-outbox"),
    path("demo-api/runs/<int:run_id>/outside-world/", api.outside_world,
         name="demo-outside-world"),
]
