"""Reads for billing, scoped to the requesting user."""

from __future__ import annotations
