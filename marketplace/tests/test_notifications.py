"""Consent emails come from templates: plain text, never HTML-escaped, one-line subjects."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from marketplace.notifications import render_email

EMAILS = sorted(
    path.name.removesuffix(".subject.txt")
    for path in (Path(settings.BASE_DIR) / "templates/marketplace/emails").glob("*.subject.txt")
)


def test_every_email_has_a_subject_and_a_body():
    assert len(EMAILS) == 9
    for name in EMAILS:
        subject, body = render_email(name, {"url": "https://x.test/inbox/"})
        assert subject and "https://x.test/inbox/" in body


@pytest.mark.parametrize("name", EMAILS)
def test_names_are_sent_as_typed_and_the_subject_stays_on_one_line(name):
    typed = 'Tom & Jerry\'s "Boutique"\nBcc: victim@example.test'
    subject, body = render_email(
        name,
        {
            "name": typed,
            "business_name": typed,
            "model_name": typed,
            "intended_use": "Web <shop> & catalogue",
            "until": "",
            "limits": "Top",
            "day": "1 Mar 2028",
            "url": "https://modelsnapper.test/x/",
        },
    )
    assert "\n" not in subject and "&amp;" not in subject and "&#x27;" not in subject
    assert "Tom & Jerry's" in subject
    assert "&amp;" not in body and "&lt;" not in body
