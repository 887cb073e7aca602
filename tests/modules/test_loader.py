from __future__ import annotations

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from modules.loader import CONTENT_DIR, ContentInvalid, load_programme, read_programme
from modules.models import Answer, Module, Step

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the real content to break or change."""
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    lines = [
        i
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if needle in line
    ]
    return lines[occurrence - 1]


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_programme(root)
    return [str(error) for error in caught.value.errors]


def test_it_loads_all_28_files_into_14_modules():
    report = load_programme()
    assert Module.objects.active().count() == 14
    assert list(Module.objects.active().values_list("number", flat=True)) == list(range(1, 15))
    assert len(report.created) == 14 + Step.objects.count()
    module = Module.objects.get(number=3)
    assert set(module.texts) == {"sv", "en"}
    assert module.texts["en"]["title"] == "Mapping your stress"
    diary = Step.objects.get(module=module, slug="stress-diary")
    assert diary.kind == "homework" and diary.diary == "stress"
    assert diary.texts["sv"]["exercise"]["chart"] == "stress_level"
    assert diary.texts["en"]["html"].startswith("<p>")


def test_loading_again_changes_nothing():
    load_programme()
    before = {(s.pk, s.slug, s.position) for s in Step.objects.all()}
    report = load_programme()
    assert not report.changed
    assert report.unchanged == 14 + len(before)
    assert {(s.pk, s.slug, s.position) for s in Step.objects.all()} == before


def test_the_command_loads_everything_and_says_so():
    out = StringIO()
    call_command("load_programme", stdout=out)
    assert "Programme loaded" in out.getvalue()
    assert Module.objects.active().count() == 14


def test_a_broken_file_names_its_path_and_line_and_loads_nothing(content):
    path = content / "sv" / "03-mapping-stress.md"
    edit(
        path,
        "    type: scale\n    label: Hur stressad kände du dig?",
        "    type: slider\n    label: Hur stressad kände du dig?",
    )
    line = line_of(path, "type: slider")
    errors = errors_of(content)
    assert any(e.startswith(f"{path}:{line}:") and "slider" in e for e in errors), errors
    assert Module.objects.count() == 0


def test_a_broken_update_leaves_the_loaded_programme_as_it_was(content):
    load_programme(content)
    edit(content / "en" / "01-welcome.md", "title: Welcome", "title: Welcome, changed")
    # Minutes are computed now, so the broken value is the version.
    edit(content / "sv" / "05-relaxation.md", "version: 1", "version: many")
    with pytest.raises(ContentInvalid):
        load_programme(content)
    assert Module.objects.get(number=1).texts["en"]["title"] == "Welcome"


def test_the_command_prints_every_problem_and_fails(content):
    edit(content / "en" / "02-what-is-stress.md", "version: 1", "version: one")
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_programme", "--content", str(content), stdout=StringIO(), stderr=err)
    assert re.search(r"en/02-what-is-stress\.md:4: `version` must be", err.getvalue())
    assert Module.objects.count() == 0


def test_yaml_booleans_are_refused_as_option_keys(content):
    path = content / "en" / "01-welcome.md"
    edit(path, "      - key: no_one\n", "      - key: no\n")
    line = line_of(path, "- key: no")
    errors = errors_of(content)
    assert any(f"01-welcome.md:{line}:" in e and "yes/no" in e for e in errors), errors


def test_yaml_booleans_are_refused_as_keys(content):
    path = content / "sv" / "04-energy-and-recovery.md"
    edit(path, "fields:\n", "on: true\nfields:\n")
    line = line_of(path, "on: true")
    errors = errors_of(content)
    assert any(
        f"04-energy-and-recovery.md:{line}:" in e and "keys must be plain words" in e
        for e in errors
    ), errors


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("module: 6\n", "module: 7\n", "does not match the file name"),
        ("slug: sleep\n", "slug: sleep\nminutes: 20\n", "`minutes` is computed from the content"),
        ("slug: sleep\n", "slug: sleep\ncolour: blue\n", "unknown front matter key"),
        ("::: step text day-habits", "::: step intro day-habits", "exactly 1 `intro`"),
        ("::: step text day-habits", "::: step lesson day-habits", "unknown step kind"),
        (
            "::: step text day-habits\n",
            "::: step text day-habits\n\n```exercise\nfields: []\n```\n",
            "cannot contain an exercise block",
        ),
        ("    type: scale\n", "    type: scale\n    max_length: 3\n", "unknown key `max_length`"),
        ("chart: sleep_quality", "chart: bedtime", "`chart` must name a scale field"),
        ("diary: sleep", "diary: dreams", "`diary` must be one of"),
        ("::: step text day-habits\n# ", "::: step text day-habits\n", "must begin with its title"),
    ],
)
def test_it_checks_the_format(content, old, new, message):
    edit(content / "en" / "06-sleep.md", old, new)
    errors = errors_of(content)
    assert any("en/06-sleep.md:" in e and message in e for e in errors), errors


def test_both_languages_must_have_the_same_structure(content):
    path = content / "en" / "07-what-matters.md"
    text = path.read_text(encoding="utf-8")
    # Rename the first option key of the first choice field, in English only.
    match = re.search(r"options:\n\s+- key: (\w+)", text)
    assert match
    edit(path, f"- key: {match.group(1)}\n", f"- key: {match.group(1)}_x\n")
    errors = errors_of(content)
    assert any(
        "en/07-what-matters.md:" in e and "differs from sv/07-what-matters.md:" in e for e in errors
    ), errors


def test_a_step_missing_in_one_language_is_named(content):
    path = content / "sv" / "08-thoughts-and-stress.md"
    edit(path, "::: step text ", "::: step text renamed-", 1)
    line = line_of(path, "renamed-")
    english = line_of(content / "en" / "08-thoughts-and-stress.md", "::: step text ")
    errors = errors_of(content)
    # The languages disagree: the error names both files and lines.
    assert any(
        f"en/08-thoughts-and-stress.md:{english}:" in e
        and f"differs from sv/08-thoughts-and-stress.md:{line}" in e
        for e in errors
    ), errors


def test_raw_html_and_unsafe_links_are_removed(content):
    edit(
        content / "en" / "01-welcome.md",
        "Welcome. We are glad that you are here.",
        'Welcome. <script>alert(1)</script><b onclick="x()">Bold</b> [link](javascript:alert(1)) [ok](https://1177.se)',
    )
    load_programme(content)
    html = Step.objects.get(module__number=1, slug="welcome").texts["en"]["html"]
    assert "<script" not in html and "alert(1)" not in html and "onclick" not in html
    assert "javascript:" not in html
    assert '<a href="https://1177.se" rel="noopener noreferrer">ok</a>' in html


def test_an_update_keeps_answers_and_their_content_version(content, participant):
    load_programme(content)
    exercise = Step.objects.get(module__number=3, slug="my-warning-signs")
    removed = Step.objects.get(module__number=3, slug="what-you-do")
    answer = Answer.objects.create(
        participant=participant, step=exercise, data={"earliest_sign": "Käken"}, revision=1
    )
    kept = Answer.objects.create(participant=participant, step=removed, data={}, revision=1)
    for language in ("sv", "en"):
        path = content / language / "03-mapping-stress.md"
        edit(path, "version: 1", "version: 2")
        text = path.read_text(encoding="utf-8")
        start = text.index("::: step text what-you-do")
        end = text.index("::: step exercise my-warning-signs")
        path.write_text(text[:start] + text[end:], encoding="utf-8")
    edit(
        content / "en" / "03-mapping-stress.md",
        "# Find your own warning signs",
        "# Your own warning signs",
    )
    report = load_programme(content)
    assert "step mapping-stress/what-you-do" in report.retired
    exercise.refresh_from_db()
    removed.refresh_from_db()
    assert exercise.texts["en"]["title"] == "Your own warning signs"
    assert Module.objects.get(number=3).version == 2
    assert removed.retired_at is not None
    answer.refresh_from_db()
    assert answer.data == {"earliest_sign": "Käken"} and answer.content_version == 1
    assert Answer.objects.filter(pk=kept.pk).exists()
    assert exercise.position == 5  # one step earlier than before


def test_the_real_content_is_valid():
    programme = read_programme()
    assert sorted(programme) == ["en", "sv"]
    assert all(len(modules) == 14 for modules in programme.values())


def test_it_serves_a_changed_step_s_new_text_once_load_programme_has_changed_it(
    content, client, participant
):
    from modules.content_cache import content_key
    from modules.models import Enrolment

    load_programme(content)
    Enrolment.enrol(participant)
    client.force_login(participant)
    url = "/programme/1/starting-point/"
    before = client.get(url)
    assert "Ta gärna en stund" in before.content.decode()
    key = content_key(Module.objects.get(number=1))
    edit(content / "sv" / "01-welcome.md", "Ta gärna en stund", "Ta dig gärna en stund")
    report = load_programme(content)
    assert "step welcome/starting-point" in report.updated
    assert content_key(Module.objects.get(number=1)) != key
    after = client.get(url).content.decode()
    assert "Ta dig gärna en stund" in after and "Ta gärna en stund" not in after
    # A module whose steps did not change keeps its key, and its cached texts.
    assert "module what-is-stress" not in report.updated


def test_the_step_and_module_pages_show_the_titles_and_count_load_programme_has_changed(
    content, client, participant
):
    """A step page's breadcrumbs, count and text, and the step lists of both pages, are drawn
    once per module content: a load that changes a step draws them again."""
    from modules.models import Enrolment

    load_programme(content)
    Enrolment.enrol(participant)
    client.force_login(participant)
    step_url, module_url = "/programme/1/starting-point/", "/programme/1/"
    before = client.get(step_url).content.decode()
    assert "Steg 6 av 8" in before and "Din terapeut" in before
    assert "Så går programmet till" in client.get(module_url).content.decode()
    edit(content / "sv" / "01-welcome.md", "# Din terapeut", "# Om din terapeut")
    drop_how_it_works(content)
    load_programme(content)
    after = client.get(step_url).content.decode()
    assert "Steg 5 av 7" in after and "Om din terapeut" in after
    assert "Så går programmet till" not in after
    module_page = client.get(module_url).content.decode()
    assert "Om din terapeut" in module_page and "Så går programmet till" not in module_page


def drop_how_it_works(content: Path) -> None:
    """Take module 1's step "how-it-works" out of the content, in both languages."""
    for language in ("sv", "en"):
        path = content / language / "01-welcome.md"
        text = path.read_text(encoding="utf-8")
        start = text.index("::: step text how-it-works")
        end = text.index("::: step text your-therapist")
        path.write_text(text[:start] + text[end:], encoding="utf-8")


def test_the_home_page_counts_and_links_the_steps_load_programme_has_changed(
    content, client, participant
):
    from django.urls import reverse

    from modules.models import Enrolment

    load_programme(content)
    Enrolment.enrol(participant)
    client.force_login(participant)
    client.post(reverse("modules:step-complete", args=[1, "welcome"]))
    before = client.get(reverse("home")).content.decode()
    assert "1 av 8 steg klara" in before and "Nästa steg: Så går programmet till" in before
    assert reverse("modules:step-detail", args=[1, "how-it-works"]) in before
    # The step after the one done goes, in both languages: module 1 has seven steps now.
    drop_how_it_works(content)
    assert "step welcome/how-it-works" in load_programme(content).retired
    after = client.get(reverse("home")).content.decode()
    assert "1 av 7 steg klara" in after and "Nästa steg: Din terapeut" in after
    assert reverse("modules:step-detail", args=[1, "your-therapist"]) in after
    assert reverse("modules:step-detail", args=[1, "how-it-works"]) not in after
