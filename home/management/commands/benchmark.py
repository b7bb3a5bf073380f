"""`manage.py benchmark`: the old name of `manage.py bench` (kept as an alias)."""

from __future__ import annotations

from home.management.commands.bench import Command

__all__ = ["Command"]
