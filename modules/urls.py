from __future__ import annotations

from django.urls import path

from modules import views

app_name = "modules"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("workbook/", views.workbook, name="workbook"),
    path("workbook.pdf", views.workbook_pdf, name="workbook-pdf"),
    path("session/", views.session_check, name="session-check"),
    path("signed-in/", views.signed_in_again, name="signed-in-again"),
    path("preview/", views.preview_index, name="preview-index"),
    path("preview/<int:number>/<slug:slug>/", views.preview_step, name="preview-step"),
    path("<int:number>/", views.module_detail, name="module-detail"),
    path("<int:number>/homework/", views.homework_submit, name="homework-submit"),
    path("<int:number>/<slug:slug>/", views.step_detail, name="step-detail"),
    path("<int:number>/<slug:slug>/save/", views.answer_save, name="answer-save"),
    path("<int:number>/<slug:slug>/continue/", views.step_complete, name="step-complete"),
    path("<int:number>/<slug:slug>/entries/", views.diary_entry_add, name="diary-entry-add"),
]
