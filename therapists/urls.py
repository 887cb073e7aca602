from __future__ import annotations

from django.urls import path

from therapists import physio_views, views

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
    path("care/physio/", physio_views.physio_caseload, name="physio-caseload"),
    path(
        "care/physio/participants/<int:pk>/",
        physio_views.physio_participant,
        name="physio-participant",
    ),
    path(
        "care/physio/participants/<int:pk>/visits/",
        physio_views.visit_add,
        name="visit-add",
    ),
    path(
        "care/physio/participants/<int:pk>/visits/<int:visit_pk>/",
        physio_views.visit_edit,
        name="visit-edit",
    ),
    path("care/physio/participants/<int:pk>/goals/new/", physio_views.goal_add, name="goal-add"),
    path(
        "care/physio/participants/<int:pk>/goals/rate/",
        physio_views.goals_rate,
        name="goals-rate",
    ),
    path(
        "care/physio/participants/<int:pk>/goals/<int:goal_pk>/",
        physio_views.goal_edit,
        name="goal-edit",
    ),
    path(
        "care/physio/participants/<int:pk>/goals/<int:goal_pk>/delete/",
        physio_views.goal_delete,
        name="goal-delete",
    ),
    path("care/physio/participants/<int:pk>/plan/", physio_views.plan_edit, name="plan-edit"),
    path("activity/", physio_views.my_activity, name="my-activity"),
    path("activity/<int:pk>/delete/", physio_views.my_activity_delete, name="my-activity-delete"),
    path("goals/", physio_views.my_goals, name="my-goals"),
    path("messages/", views.my_messages, name="my-messages"),
    path("messages/earlier/<int:pk>/", views.my_earlier_thread, name="my-earlier-thread"),
]
