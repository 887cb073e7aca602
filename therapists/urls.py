from __future__ import annotations

from django.urls import path

from therapists import views, views_unassigned

app_name = "therapists"

urlpatterns = [
    path("care/", views.dashboard, name="dashboard"),
    path("care/caseload/", views.caseload, name="caseload"),
    path("care/participants/<int:pk>/", views.overview, name="overview"),
    path("care/participants/<int:pk>/messages/", views.thread, name="messages"),
    path("care/participants/<int:pk>/notes/", views.note_add, name="note-add"),
    path("care/participants/<int:pk>/time/", views.time_add, name="time-add"),
    path(
        "care/participants/<int:pk>/homework/<int:submission_pk>/",
        views.review,
        name="review",
    ),
    path(
        "care/participants/<int:pk>/modules/<int:number>/release/",
        views.release_module,
        name="release-module",
    ),
    path(
        "care/participants/<int:pk>/modules/<int:number>/hold/",
        views.hold_module,
        name="hold-module",
    ),
    path(
        "care/participants/<int:pk>/modules/<int:number>/hold/lift/",
        views.lift_module_hold,
        name="lift-module-hold",
    ),
    path("care/templates/", views.template_list, name="templates"),
    path("care/templates/new/", views.template_edit, name="template-create"),
    path("care/templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("care/templates/<int:pk>/delete/", views.template_delete, name="template-delete"),
    path("care/assignments/", views.assignments, name="assignments"),
    path("care/assignments/<int:pk>/", views.assignment_edit, name="assignment-edit"),
    path("care/unassigned/", views_unassigned.unassigned, name="unassigned"),
    path("messages/", views.my_messages, name="my-messages"),
    path("messages/earlier/<int:pk>/", views.my_earlier_thread, name="my-earlier-thread"),
]
