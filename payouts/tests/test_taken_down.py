"""Decision: the royalty of an image an admin takes down is kept (and paid out); the
royalty ledger marks the line. See README, "Royalties of taken-down images"."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from generations.services import generation_take_down
from payouts.services import payouts_run
from payouts.tests.conftest import balance_of, connect, earn

pytestmark = pytest.mark.django_db


def test_a_taken_down_images_royalty_is_kept_marked_and_paid_out(
    fake_stripe, client, model_mia, business_alice, admin_ada, run_date
):
    connect(fake_stripe, model_mia)
    generations = earn(model_mia, business_alice, 12)
    generation_take_down(generation=generations[-1], actor=admin_ada)

    assert balance_of(model_mia) == Decimal("12.00")
    client.force_login(model_mia)
    assert 'data-testid="royalty-kept"' in client.get("/generations/royalties/").content.decode()
    rows = list(csv.reader(io.StringIO(client.get("/generations/royalties.csv").content.decode())))
    assert rows[0][-1] == "state"
    states = [row[-1] for row in rows[1:]]
    assert states.count("taken down, royalty kept") == 1
    assert states.count("") == 11

    payouts_run(run_date=run_date)
    (transfer,) = fake_stripe.transfers.values()
    assert transfer["amount"] == 1200
    call_command("check_royalties")
