"""What a participant sees of their study: what their arm receives, and only that."""

from __future__ import annotations

import pytest
from django.urls import reverse

from research.models import Receives, StudyParticipant
from tests.research.builders import CONTROL_NAME, INTERVENTION_NAME, make_study, new_ready_member

pytestmark = pytest.mark.django_db

PROGRAMME_TEXT = "The iCBT programme"
PLAN_TEXT = "The activity plan you make with your physiotherapist"


def _page(client, user) -> str:  # type: ignore[no-untyped-def]
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client.get(reverse("research:my-study")).content.decode()


def test_before_randomisation_the_page_names_no_arm(client, participant, member) -> None:  # type: ignore[no-untyped-def]
    page = _page(client, participant)
    assert INTERVENTION_NAME not in page and CONTROL_NAME not in page
    assert PROGRAMME_TEXT not in page and PLAN_TEXT not in page


def test_each_arm_sees_what_it_receives_and_only_that(client, site, admin_user) -> None:  # type: ignore[no-untyped-def]
    # Blocks of two: four participants fill both arms.
    study = make_study(site, admin_user, multipliers=[1])
    members = [new_ready_member(study, site, admin_user, f"m{i}@test.example") for i in range(4)]
    for member in members:
        member.randomise(by=admin_user)
    seen = set()
    for member in (
        StudyParticipant.objects.filter(study=study).with_arm().select_related("participant")
    ):
        page = _page(client, member.participant)
        arm = member.arm
        seen.add(arm.receives)
        assert (PROGRAMME_TEXT in page) is (arm.receives == Receives.PROGRAMME_AND_PLAN)
        assert PLAN_TEXT in page
        # The programme's pages open for the programme arm only (modules' own switch).
        programme = client.get(reverse("modules:overview"))
        assert (programme.status_code == 200) is (arm.receives == Receives.PROGRAMME_AND_PLAN)
    assert seen == {Receives.PROGRAMME_AND_PLAN, Receives.PLAN}


def test_the_settings_panel_offers_the_study_page_and_leaving_to_members_only(
    rf, participant, other_participant, member, therapist
) -> None:  # type: ignore[no-untyped-def]
    from django.template import Context, Template

    template = Template("{% load research %}{% study_settings_panel %}")
    for user, shown in ((participant, True), (other_participant, False), (therapist, False)):
        request = rf.get("/")
        request.user = user
        html = template.render(Context({"request": request}))
        assert (reverse("research:withdraw") in html) is shown
    member.withdraw(by=participant)
    request = rf.get("/")
    request.user = participant
    html = template.render(Context({"request": request}))
    assert reverse("research:my-study") in html and reverse("research:withdraw") not in html
