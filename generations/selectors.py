"""Reads for generations, scoped to the requesting user."""

from __future__ import annotations
