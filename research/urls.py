from __future__ import annotations

from django.urls import path

from research import views, views_exports, views_reports, views_results

app_name = "research"

urlpatterns = [
    path("research/", views.studies, name="studies"),
    path("research/new/", views.study_create, name="study-create"),
    path("research/<int:pk>/", views.study_detail, name="study-detail"),
    path("research/<int:pk>/edit/", views.study_edit, name="study-edit"),
    path("research/<int:pk>/criteria/", views.criteria, name="criteria"),
    path("research/<int:pk>/close/", views.study_close, name="study-close"),
    path("research/<int:pk>/participants/", views.participants, name="participants"),
    path("research/<int:pk>/participants/add/", views.participant_add, name="participant-add"),
    path("research/<int:pk>/flow/", views.flow, name="flow"),
    path("research/<int:pk>/flow.svg", views.flow_svg, name="flow-svg"),
    path("research/<int:pk>/flow.pdf", views.flow_pdf, name="flow-pdf"),
    path("research/<int:pk>/export/", views_exports.export_page, name="export"),
    path("research/<int:pk>/export/outcomes.csv", views_exports.export_csv, name="export-csv"),
    path("research/<int:pk>/export/outcomes.xlsx", views_exports.export_xlsx, name="export-xlsx"),
    path("research/<int:pk>/export/codebook.csv", views_exports.codebook, name="codebook"),
    path("research/<int:pk>/results/", views_results.results_page, name="results"),
    path("research/<int:pk>/results.csv", views_results.results_csv, name="results-csv"),
    path("research/<int:pk>/export/goals.csv", views_exports.goals_csv, name="goals-csv"),
    path(
        "research/<int:pk>/export/goals-codebook.csv",
        views_exports.goals_codebook,
        name="goals-codebook",
    ),
    path("research/<int:pk>/audit/", views_exports.audit_page, name="audit"),
    path("research/<int:pk>/audit/sequence.csv", views_exports.audit_csv, name="audit-csv"),
    path("research/members/<int:pk>/", views.member_detail, name="member"),
    path("research/members/<int:pk>/screen/", views.screen, name="screen"),
    path("research/members/<int:pk>/randomise/", views.randomise, name="randomise"),
    path("research/members/<int:pk>/withdraw/", views.member_withdraw, name="member-withdraw"),
    path("research/<int:pk>/adherence/", views_exports.adherence_export, name="adherence-export"),
    path(
        "research/<int:pk>/adherence/long.csv",
        views_exports.adherence_long_csv,
        name="adherence-long-csv",
    ),
    path(
        "research/<int:pk>/adherence/wide.csv",
        views_exports.adherence_wide_csv,
        name="adherence-wide-csv",
    ),
    path(
        "research/<int:pk>/adherence/codebook.csv",
        views_exports.adherence_codebook,
        name="adherence-codebook",
    ),
    path("research/<int:pk>/adherence/xlsx/", views_exports.adherence_xlsx, name="adherence-xlsx"),
    path(
        "research/exports/<int:pk>/download/",
        views_exports.data_export_download,
        name="data-export-download",
    ),
    path("reports/", views_reports.reports, name="reports"),
    path("reports/new/", views_reports.report_request, name="report-request"),
    path("reports/<int:pk>/download/", views_reports.report_download, name="report-download"),
    path("reports/<int:pk>/regenerate/", views_reports.report_regenerate, name="report-regenerate"),
    path("study/", views.my_study, name="my-study"),
    path("study/leave/", views.withdraw, name="withdraw"),
]
