from __future__ import annotations

from django.urls import path

from assessments import flag_views, views

app_name = "assessments"

urlpatterns = [
    path("questionnaires/", views.questionnaire_list, name="questionnaire-list"),
    path("questionnaires/results/", views.my_results, name="my-results"),
    path("questionnaires/<int:time_point_id>/", views.questionnaire_detail, name="questionnaire"),
    path(
        "questionnaires/<int:time_point_id>/pages/<int:number>/",
        views.questionnaire_page,
        name="questionnaire-page",
    ),
    path(
        "questionnaires/<int:time_point_id>/review/",
        views.questionnaire_review,
        name="questionnaire-review",
    ),
    path(
        "staff/participants/<int:participant_id>/scores/",
        views.staff_scores,
        name="staff-scores",
    ),
    path("staff/risk-flags/<int:pk>/handle/", flag_views.flag_handle, name="flag-handle"),
    path("staff/instrument-texts/", views.texts_status, name="texts-status"),
]
