"""Helpers for browser tests; the fixtures themselves live in tests/browser.py."""

from __future__ import annotations

from tests.browser import PHONE, SCREENSHOTS, assert_accessible, screenshot

__all__ = ["PHONE", "SCREENSHOTS", "assert_accessible", "screenshot"]
