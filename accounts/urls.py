from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("invite/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("consent/", views.consent, name="consent"),
    path("preferences/", views.preferences, name="preferences"),
    path("language/", views.set_language, name="set-language"),
    path("my-data/access/", views.my_access_log, name="my-access-log"),
    path("staff/invitations/", views.invitations, name="invitations"),
    path("staff/invitations/<int:pk>/withdraw/", views.invitation_revoke, name="invitation-revoke"),
    path("staff/people/", views.people, name="people"),
    path("staff/people/<int:pk>/roles/", views.staff_roles, name="staff-roles"),
    path(
        "preferences/notifications/",
        views.notification_preferences,
        name="notification-preferences",
    ),
    path("staff/notifications/", views.notification_log, name="notification-log"),
]
