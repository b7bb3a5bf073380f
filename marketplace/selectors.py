"""Reads for marketplace, scoped to the requesting user."""

from __future__ import annotations
