"""Dependencies are current and what is installed is what is pinned."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, str]:
    pins = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if match := re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]+\])?==([^\s#]+)", line):
                pins[match[1].lower()] = match[3]
    return pins


def _tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def test_allauth_is_at_least_65_22_1_and_installed_as_pinned():
    pins = _pins()
    assert _tuple(pins["django-allauth"]) >= (65, 22, 1)
    assert version("django-allauth") == pins["django-allauth"]


def test_the_audit_tools_are_pinned_and_installed():
    pins = _pins()
    for name in ("pip-audit", "hypothesis"):
        assert version(name) == pins[name]


def test_make_audit_runs_pip_audit_strictly():
    makefile = (ROOT / "Makefile").read_text()
    script = (ROOT / "scripts" / "audit").read_text()
    assert re.search(r"^audit: install$", makefile, re.M)
    assert 'pip-audit" --local --strict' in script
