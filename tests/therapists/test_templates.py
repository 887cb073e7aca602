from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import make_site, make_therapist
from therapists.models import FeedbackTemplate

pytestmark = pytest.mark.django_db


def test_a_therapist_creates_a_template_for_a_module_and_language(
    client: Any, therapist: User, programme: Any
) -> None:
    client.force_login(therapist)
    response = client.post(
        reverse("therapists:template-create"),
        {
            "title": "Fine work",
            "module": programme[2].pk,
            "language": "en",
            "body": "Dear {first_name}, about {module_title}...",
        },
    )
    assert response.status_code == 302
    template = FeedbackTemplate.objects.get()
    assert template.site == therapist.site and template.module == programme[2]
    assert template.created_by == therapist and template.updated_by == therapist
    assert "Fine work" in client.get(reverse("therapists:templates")).content.decode()


def test_a_general_template_has_no_module(client: Any, therapist: User, programme: Any) -> None:
    client.force_login(therapist)
    client.post(
        reverse("therapists:template-create"),
        {"title": "Any", "module": "", "language": "sv", "body": "Hej {first_name}"},
    )
    assert FeedbackTemplate.objects.get().module is None


def test_a_colleague_edits_it_and_the_change_is_attributed(
    client: Any, therapist: User, other_therapist: User, site: Any
) -> None:
    template = FeedbackTemplate.objects.create(
        site=site, language="en", title="Old", body="x", created_by=therapist
    )
    client.force_login(other_therapist)
    client.post(
        reverse("therapists:template-edit", args=[template.pk]),
        {"title": "New", "language": "en", "body": "y"},
    )
    template.refresh_from_db()
    assert (template.title, template.body) == ("New", "y")
    assert template.created_by == therapist and template.updated_by == other_therapist


def test_titles_are_unique_per_module_and_language(client: Any, therapist: User, site: Any) -> None:
    FeedbackTemplate.objects.create(site=site, language="en", title="Same", body="x")
    client.force_login(therapist)
    response = client.post(
        reverse("therapists:template-create"), {"title": "Same", "language": "en", "body": "y"}
    )
    assert response.status_code == 200
    assert "A template with this title exists" in response.content.decode()
    assert FeedbackTemplate.objects.count() == 1


def test_templates_longer_than_a_message_are_refused(client: Any, therapist: User) -> None:
    client.force_login(therapist)
    client.post(
        reverse("therapists:template-create"),
        {"title": "Long", "language": "en", "body": "x" * 4001},
    )
    assert not FeedbackTemplate.objects.exists()


def test_deleting_asks_first_then_deletes(client: Any, therapist: User, site: Any) -> None:
    template = FeedbackTemplate.objects.create(site=site, language="en", title="Bye", body="x")
    client.force_login(therapist)
    url = reverse("therapists:template-delete", args=[template.pk])
    assert "Delete the template" in client.get(url).content.decode()
    assert FeedbackTemplate.objects.exists()
    client.post(url)
    assert not FeedbackTemplate.objects.exists()


def test_the_list_shows_only_the_own_sites_templates(
    client: Any, therapist: User, site: Any
) -> None:
    south = make_site("south", "South clinic")
    FeedbackTemplate.objects.create(site=site, language="en", title="North one", body="x")
    FeedbackTemplate.objects.create(site=south, language="en", title="South one", body="x")
    client.force_login(therapist)
    html = client.get(reverse("therapists:templates")).content.decode()
    assert "North one" in html and "South one" not in html
    client.force_login(make_therapist(south, "south.t@test.example"))
    html = client.get(reverse("therapists:templates")).content.decode()
    assert "South one" in html and "North one" not in html
