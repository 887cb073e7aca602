"""In a study with arms the programme stays closed until randomisation, and the arm decides:
a control arm without iCBT must not have done a module before it was known."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from modules.access import programme_enabled_for
from modules.models import Enrolment, ModuleProgress
from research.models import Receives, Study, StudyParticipant
from tests.factories import make_participant
from tests.research.builders import confirm_eligible, make_study, submit_time_point

pytestmark = pytest.mark.django_db

WAITING = "What happens next in the study"


@pytest.fixture
def cast_language() -> str:
    return "en"


def _fresh(user: User) -> User:
    # A new object, as the next request would load it (no cached enrolment).
    return User.objects.get(pk=user.pk)


def test_it_closes_module_one_before_randomisation_and_says_what_comes(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    study.add_participant(participant, by=admin_user)
    client.force_login(participant)
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 404
    assert client.get(reverse("modules:overview")).status_code == 404
    html = client.get(reverse("home")).content.decode()
    assert WAITING in html
    assert "First, answer the baseline questionnaires." in html
    # The nav offers nothing of the programme.
    assert reverse("modules:overview") not in html
    assert not ModuleProgress.objects.filter(participant=participant).exists()


def test_the_home_message_moves_on_once_the_baseline_is_in(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    study.add_participant(participant, by=admin_user)
    submit_time_point(participant)
    client.force_login(participant)
    html = client.get(reverse("home")).content.decode()
    assert "Thank you for answering the questionnaires." in html
    assert "First, answer the baseline questionnaires." not in html


def test_it_closes_a_programme_already_started_when_the_participant_joins_a_study_with_arms(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    Enrolment.enrol(participant)
    assert programme_enabled_for(_fresh(participant))
    study.add_participant(participant, by=admin_user)
    assert not programme_enabled_for(_fresh(participant))
    client.force_login(participant)
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 404
    # Hidden, not deleted: what was recorded stays.
    assert ModuleProgress.objects.filter(participant=participant).exists()


def test_randomisation_opens_module_one_in_the_icbt_arm_and_keeps_it_closed_in_control(  # type: ignore[no-untyped-def]
    client, site, admin_user, programme
):
    # Blocks of four in a 1:1 ratio: four participants fill both arms.
    study = make_study(site, admin_user, multipliers=[2], name="Gated trial")
    people = [make_participant(site, f"gate{i}@test.example") for i in range(4)]
    for person in people:
        member = study.add_participant(person, by=admin_user)
        submit_time_point(person)
        confirm_eligible(member, admin_user)
        assert not programme_enabled_for(_fresh(person))
        member.randomise(by=admin_user)
    seen = set()
    for member in StudyParticipant.objects.filter(study=study).with_arm():
        person = _fresh(member.participant)
        client.force_login(person)
        status = client.get(reverse("modules:module-detail", args=[1])).status_code
        home = client.get(reverse("home")).content.decode()
        assert WAITING not in home
        if member.arm.receives == Receives.PROGRAMME_AND_PLAN:
            assert status == 200
            assert reverse("modules:overview") in home
        else:
            assert status == 404
            assert reverse("modules:overview") not in home
        seen.add(member.arm.receives)
    assert seen == {Receives.PROGRAMME_AND_PLAN, Receives.PLAN}


def test_a_study_without_arms_leaves_the_programme_open(  # type: ignore[no-untyped-def]
    client, site, participant, admin_user, programme
):
    study = Study.objects.create(name="Observational", created_by=admin_user)
    study.sites.add(site)
    study.add_participant(participant, by=admin_user)
    assert programme_enabled_for(_fresh(participant))
    client.force_login(participant)
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 200
    assert WAITING not in client.get(reverse("home")).content.decode()


def test_a_withdrawn_participant_is_not_told_to_wait_for_randomisation(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    member = study.add_participant(participant, by=admin_user)
    member.withdraw(by=admin_user)
    client.force_login(participant)
    assert WAITING not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("modules:module-detail", args=[1])).status_code == 404


def test_the_home_message_is_in_swedish_for_a_swedish_participant(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    participant.language = "sv"
    participant.save(update_fields=["language"])
    study.add_participant(participant, by=admin_user)
    client.force_login(participant)
    html = client.get(reverse("home")).content.decode()
    assert "Det här händer härnäst i studien" in html
    assert "Först svarar du på de första frågeformulären." in html


def test_adding_a_participant_on_the_study_page_closes_the_programme(  # type: ignore[no-untyped-def]
    client, study, participant, admin_user, programme
):
    Enrolment.enrol(participant)
    client.force_login(admin_user)
    response = client.post(
        reverse("research:participant-add", args=[study.pk]), {"participant": participant.pk}
    )
    assert response.status_code == 302
    assert StudyParticipant.objects.filter(participant=participant, study=study).exists()
    assert not programme_enabled_for(_fresh(participant))
