"""Words a person reads: no internal names, codes or ids (issue 13, item 5)."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from billing.forms import AdjustCreditsForm
from generations.models import GenerationBatch

pytestmark = pytest.mark.django_db


def test_the_admin_says_generation_batches():
    assert GenerationBatch._meta.verbose_name_plural == "generation batches"


def test_a_stale_hidden_field_is_a_sentence_not_its_field_name():
    form = AdjustCreditsForm({"delta": "5", "reason": "Goodwill"})
    assert not form.is_valid()
    html = render_to_string("partials/form_fields.html", {"form": form})
    assert "Nonce" not in html
    assert "This form was out of date" in html


def test_the_admin_dashboard_and_history_show_dates_the_same_way(client, business_alice):
    client.force_login(business_alice)
    page = client.get("/billing/credits/").content.decode()
    assert 'title="20' not in page  # no ISO timestamp beside "1 Dec 2026" dates
