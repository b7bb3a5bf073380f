"""The Connect objects the Stripe stand-in answers have the fields Stripe's own answer has.

The field names below are those of Stripe's example objects in stripe/openapi
(``openapi/fixtures3.json``, the fixtures stripe-mock serves; read at commit f6c2a48f, Dec
2026). A field the stand-in invents, or one it leaves out, would let our parsing pass here
and fail against Stripe. The values are checked by the SDK round trips in the payouts tests.
"""

from __future__ import annotations

import pytest

from billing.tests.fake_stripe import FakeStripe

STRIPE_FIELDS = {
    "account": {
        *("business_profile", "business_type", "capabilities", "charges_enabled", "controller"),
        *("country", "created", "default_currency", "details_submitted", "email"),
        *("external_accounts", "future_requirements", "id", "metadata", "object"),
        *("payouts_enabled", "requirements", "settings", "tos_acceptance", "type"),
    },
    "account.requirements": {
        *("alternatives", "current_deadline", "currently_due", "disabled_reason", "errors"),
        *("eventually_due", "past_due", "pending_verification"),
    },
    "account_link": {"created", "expires_at", "object", "url"},
    "transfer": {
        *("amount", "amount_reversed", "balance_transaction", "created", "currency"),
        *("description", "destination", "destination_payment", "id", "livemode", "metadata"),
        *("object", "reversals", "reversed", "source_transaction", "source_type"),
        "transfer_group",
    },
    "transfer.reversals": {"data", "has_more", "object", "url"},
    "transfer_reversal": {
        *("amount", "balance_transaction", "created", "currency", "destination_payment_refund"),
        *("id", "metadata", "object", "source_refund", "transfer"),
    },
}


@pytest.fixture
def connect_objects():
    fake = FakeStripe().start()
    try:
        _, account = fake._create_account(
            {
                "type": "express",
                "capabilities": {"transfers": {"requested": "true"}},
                "email": "mia@example.com",
                "metadata": {"model_id": "1"},
            }
        )
        _, link = fake._create_account_link(
            {
                "account": account["id"],
                "type": "account_onboarding",
                "return_url": "https://example.com/payouts/return/",
                "refresh_url": "https://example.com/payouts/refresh/",
            }
        )
        fake.finish_onboarding(account["id"])
        _, transfer = fake._create_transfer(
            {"amount": "500", "currency": "usd", "destination": account["id"], "metadata": {}}
        )
        _, reversal = fake._reverse(transfer["id"], {"amount": "100"})
        _, listed = fake._list_reversals(transfer["id"], {})
        yield {
            "account": fake.accounts[account["id"]],
            "account.requirements": fake.accounts[account["id"]]["requirements"],
            "account_link": link,
            "transfer": fake.transfers[transfer["id"]],
            "transfer.reversals": fake.transfers[transfer["id"]]["reversals"],
            "transfer_reversal": reversal,
            "reversal list": listed,
        }
    finally:
        fake.stop()


@pytest.mark.parametrize("name", sorted(STRIPE_FIELDS))
def test_each_connect_object_has_exactly_stripes_fields(connect_objects, name):
    assert set(connect_objects[name]) == STRIPE_FIELDS[name]


def test_a_reversal_list_is_a_stripe_list_of_reversals(connect_objects):
    listed = connect_objects["reversal list"]
    assert set(listed) == STRIPE_FIELDS["transfer.reversals"]
    assert [set(r) for r in listed["data"]] == [STRIPE_FIELDS["transfer_reversal"]]
