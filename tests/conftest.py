"""The shared cast of roles and the rules for tests that need services or a browser."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache

from modules import content_cache
from modules.loader import ParsedModule, apply_programme, read_programme
from modules.models import Module
from tests.browser import chromium, page  # noqa: F401  (fixtures for every browser test)
from tests.factories import (
    make_admin,
    make_participant,
    make_physio,
    make_site,
    make_therapist,
)
from tests.helpers import require_service  # noqa: F401  (imported from here by tests)

# Playwright's sync API runs an event loop in the test thread; the ORM calls in browser tests
# are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_clean(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    cache.clear()
    content_cache.clear()
    yield
    cache.clear()
    content_cache.clear()


@pytest.fixture
def cast_language() -> str | None:
    """The language the cast's accounts use; None keeps the platform's default (Swedish).
    A test module that reads English wording overrides this fixture."""
    return None


def speaking(user, language: str | None):  # type: ignore[no-untyped-def]
    if language and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@pytest.fixture
def site(db: None):  # type: ignore[no-untyped-def]
    return make_site("north", "North clinic")


@pytest.fixture
def other_site(db: None):  # type: ignore[no-untyped-def]
    return make_site("south", "South clinic")


@pytest.fixture
def therapist(site, cast_language):  # type: ignore[no-untyped-def]
    return speaking(make_therapist(site, "therapist@test.example"), cast_language)


@pytest.fixture
def other_therapist(site, cast_language):  # type: ignore[no-untyped-def]
    return speaking(make_therapist(site, "other.therapist@test.example"), cast_language)


@pytest.fixture
def physio(site, cast_language):  # type: ignore[no-untyped-def]
    return speaking(make_physio(site, "physio@test.example"), cast_language)


@pytest.fixture
def admin_user(site, cast_language):  # type: ignore[no-untyped-def]
    return speaking(make_admin(site, "admin@test.example"), cast_language)


@pytest.fixture
def participant(site, therapist, physio, cast_language):  # type: ignore[no-untyped-def]
    person = make_participant(site, "participant@test.example", therapist=therapist, physio=physio)
    return speaking(person, cast_language)


@pytest.fixture
def other_participant(site, other_therapist, physio, cast_language):  # type: ignore[no-untyped-def]
    person = make_participant(
        site, "other.participant@test.example", therapist=other_therapist, physio=physio
    )
    return speaking(person, cast_language)


@pytest.fixture(scope="session")
def parsed_programme() -> dict[str, dict[int, ParsedModule]]:
    """The real programme, read once per session from the content files."""
    return read_programme()


@pytest.fixture
def programme(db: None, parsed_programme: dict[str, dict[int, ParsedModule]]) -> list[Module]:
    """The real programme, loaded into the test's database."""
    apply_programme(parsed_programme)
    return list(Module.objects.active())


def write_clinic_texts(path, languages=("en", "sv")):  # type: ignore[no-untyped-def]
    """A complete texts file for every instrument the platform cannot ship the words of, in
    each language: what a clinic holding the licences installs (docs/instrument-texts.md).
    The wording is test wording, never an instrument's real items."""
    import json

    from assessments.instruments import all_instruments
    from assessments.item_texts import OWN_WORDING

    data: dict[str, dict[str, object]] = {}
    for instrument in all_instruments():
        if instrument.code in OWN_WORDING or instrument.code == "gas":
            continue
        blocks = {}
        for lang in languages:
            if not instrument.placeholder_labels and lang == "en":
                continue  # the RAND-36's public-domain English text ships with the platform
            items = {}
            for item in instrument.items:
                entry: dict[str, object] = {"text": f"Test wording {instrument.code} {item.key}"}
                if item.options:
                    entry["options"] = {
                        str(option.value): f"Test option {option.value}" for option in item.options
                    }
                items[item.key] = entry
            blocks[lang] = {"items": items, "licence": "Test licence"}
        if blocks:
            data[instrument.code] = blocks
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def clinic_texts(settings, tmp_path):  # type: ignore[no-untyped-def]
    """The clinic's licensed item texts installed, so that every instrument can be asked."""
    settings.INSTRUMENT_TEXTS_FILE = str(write_clinic_texts(tmp_path / "clinic-texts.json"))
    return settings.INSTRUMENT_TEXTS_FILE
