from __future__ import annotations

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from icbt import views

# The technical admin signs in through allauth, so it shares its rate limits and second factor.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "iCBT administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("programme/", include("modules.urls")),
    path("", include("assessments.urls")),
    path("", include("physio.urls")),
    path("", include("therapists.urls")),
    path("", include("research.urls")),
    path("django-admin/", admin.site.urls),
]

handler400 = "icbt.errors.bad_request"
