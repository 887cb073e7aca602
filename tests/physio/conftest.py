"""The physiotherapy tests read the pages in English, the language they are written in (the
platform's default is Swedish); the cast itself is the shared one of tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def cast_language() -> str | None:
    return "en"
