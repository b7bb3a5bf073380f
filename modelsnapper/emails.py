"""Every email the product sends: a text part and an HTML part in one layout.

The words live in text templates (the product's and allauth's, overridden under
``templates/account/email/``); the HTML part is made here from the same text, so
the two never say different things. Links are built from ``SITE_URL``, never from
the host a request happened to arrive on.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

PRODUCT_NAME = "ModelSnapper"


def on_site(url: str) -> str:
    """The same page on SITE_URL (an absolute URL's host replaced, a path prefixed)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return settings.SITE_URL + path


def build_email(subject: str, text: str, to: Sequence[str]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        " ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, list(to)
    )
    paragraphs = [block.strip() for block in text.strip().split("\n\n") if block.strip()]
    html = render_to_string(
        "emails/base.html",
        {"subject": message.subject, "paragraphs": paragraphs, "site_url": settings.SITE_URL},
    )
    message.attach_alternative(html, "text/html")
    return message
