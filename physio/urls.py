"""The physiotherapy pages keep the paths they had under the care workspace (care/physio/...,
activity/, goals/), so links and bookmarks stay valid; only the names moved to `physio:`."""

from __future__ import annotations

from django.urls import path

from physio import views

app_name = "physio"

urlpatterns = [
    path("care/physio/", views.physio_caseload, name="physio-caseload"),
    path(
        "care/physio/participants/<int:pk>/",
        views.physio_participant,
        name="physio-participant",
    ),
    path(
        "care/physio/participants/<int:pk>/visits/",
        views.visit_add,
        name="visit-add",
    ),
    path(
        "care/physio/participants/<int:pk>/visits/<int:visit_pk>/",
        views.visit_edit,
        name="visit-edit",
    ),
    path("care/physio/participants/<int:pk>/goals/new/", views.goal_add, name="goal-add"),
    path(
        "care/physio/participants/<int:pk>/goals/rate/",
        views.goals_rate,
        name="goals-rate",
    ),
    path(
        "care/physio/participants/<int:pk>/goals/<int:goal_pk>/",
        views.goal_edit,
        name="goal-edit",
    ),
    path(
        "care/physio/participants/<int:pk>/goals/<int:goal_pk>/delete/",
        views.goal_delete,
        name="goal-delete",
    ),
    path("care/physio/participants/<int:pk>/plan/", views.plan_edit, name="plan-edit"),
    path("activity/", views.my_activity, name="my-activity"),
    path("activity/<int:pk>/delete/", views.my_activity_delete, name="my-activity-delete"),
    path("goals/", views.my_goals, name="my-goals"),
]
