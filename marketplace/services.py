"""Writes for marketplace."""

from __future__ import annotations
