"""Writes for generations."""

from __future__ import annotations
