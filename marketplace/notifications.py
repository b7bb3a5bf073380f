"""Consent emails: one template pair per event, sent after the change is committed.

``templates/marketplace/emails/<name>.subject.txt`` and ``<name>.txt`` hold the words;
services name the event and give the facts (Zulip's ``send_email(template_prefix)``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from modelsnapper.emails import build_email

logger = logging.getLogger(__name__)


def absolute_url(url_name: str) -> str:
    """A link for an email: SITE_URL + the page (the site root if the name is unknown)."""
    try:
        return settings.SITE_URL + reverse(url_name)
    except NoReverseMatch:
        return settings.SITE_URL


def render_email(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of ``template``; the subject on one line, however names are typed."""
    prefix = f"marketplace/emails/{template}"
    subject = " ".join(render_to_string(f"{prefix}.subject.txt", context).split())
    return subject, render_to_string(f"{prefix}.txt", context)


def notify_on_commit(template: str, *, to: Iterable[str], **context: Any) -> None:
    """Renders now (the facts as they are), sends once the change is committed. A mail
    outage is logged: it must never undo the model's or the business's action."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    subject, body = render_email(template, context)

    def send() -> None:
        try:
            build_email(subject, body, recipients).send()
        except Exception:
            logger.exception("consent email %s to %s failed", template, recipients)

    transaction.on_commit(send)
