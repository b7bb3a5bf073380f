"""No inline script or style anywhere: the CSP header allows only this site's files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:", re.IGNORECASE)


def _templates() -> list[Path]:
    folders = [ROOT / "templates", *ROOT.glob("*/templates")]
    return [path for folder in folders for path in folder.rglob("*.html")]


def test_no_template_has_inline_script_or_style():
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in _templates()
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, INLINE_HANDLER)
        for match in pattern.finditer(path.read_text())
    ]

    assert len(_templates()) > 20
    assert offenders == []


def test_the_scan_finds_what_it_looks_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')
    assert INLINE_STYLE.search('<td style="width: 2px">')
    assert INLINE_STYLE.search("<style>.a{}</style>")
    assert INLINE_HANDLER.search("<form onsubmit=\"return confirm('Sure?')\">")
    assert not INLINE_HANDLER.search('<form data-submit-once data-confirm="Sure?">')


@pytest.mark.django_db
def test_every_html_response_carries_the_policy_and_the_other_headers(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]

    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
