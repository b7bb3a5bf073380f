"""Property tests (hypothesis): any interleaving of credit movements keeps the balance
equal to its ledger sum and never negative; any interleaving of consent actions keeps
the approvedModels/approvedBusinesses arrays equal to the APPROVED requests. Both run
on SQLite and, through `make test-mongo`, in Mongo mode (fewer examples: slower server)."""

from __future__ import annotations

import itertools
import os

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import BusinessProfile, ModelProfile
from accounts.tests.factories import AdminFactory, BusinessProfileFactory, ModelProfileFactory
from billing import services
from billing.models import CreditLedgerEntry, Package
from marketplace import services as consent_services
from marketplace.models import ConsentRequest, ConsentStatus
from marketplace.tests.conftest import give_package, make_listed
from modelsnapper.errors import DomainError

pytestmark = pytest.mark.django_db

MONGO = bool(os.environ.get("MONGODB_URI"))
PROPERTY = settings(
    max_examples=5 if MONGO else 25,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_ids = itertools.count(1)

money_ops = st.lists(
    st.tuples(
        st.sampled_from(["grant", "spend", "refund", "adjust", "repeat"]),
        st.integers(min_value=-7, max_value=7),
        st.integers(min_value=0, max_value=4),  # key slot: small, so keys collide and repeat
    ),
    max_size=25,
)


def _apply(business, admin, op: str, amount: int, slot: int, run: int) -> None:
    key = f"{op}:{run}:{slot}"
    try:
        if op == "grant" and amount > 0:
            services.credits_grant(business=business, amount=amount, key=key)
        elif op == "spend" and amount > 0:
            services.credits_spend(business=business, amount=amount, key=key)
        elif op == "refund" and amount > 0:
            services.credits_refund(business=business, amount=amount, key=key)
        elif op == "adjust" and amount != 0:
            services.credits_adjust(
                business=business, delta=amount, reason="property", actor=admin, key=key
            )
        elif op == "repeat" and amount > 0:
            # The same key again with the same movement: must be a no-op.
            services.credits_grant(business=business, amount=amount, key=f"grant:{run}:{slot}")
    except DomainError:
        pass  # refused (not enough credits, key reused with another amount): nothing moved


@PROPERTY
@given(ops=money_ops)
def test_any_interleaving_keeps_the_balance_equal_to_the_ledger_and_never_negative(ops):
    run = next(_ids)
    business = BusinessProfileFactory(user__email=f"prop{run}@shop.test")
    admin = AdminFactory(email=f"admin{run}@modelsnapper.test")
    for op, amount, slot in ops:
        _apply(business, admin, op, amount, slot, run)
        balance = BusinessProfile.objects.get(pk=business.pk).ai_credits
        assert balance >= 0
    rows = CreditLedgerEntry.objects.filter(business_id=business.pk)
    assert not rows.filter(state="pending").exists()
    ledger = rows.aggregate(total=Sum("delta"))["total"] or 0
    assert BusinessProfile.objects.get(pk=business.pk).ai_credits == ledger
    assert rows.count() == len(set(rows.values_list("key", flat=True)))


consent_ops = st.lists(
    st.tuples(
        st.sampled_from(["request", "approve", "reject", "revoke"]),
        st.integers(min_value=0, max_value=1),  # business
        st.integers(min_value=0, max_value=1),  # model
    ),
    max_size=14,
)


@pytest.fixture
def growth(db):
    return Package.objects.create(
        stripe_price_id="price_prop_growth", name="GROWTH", ai_credits_granted=1,
        human_model_access=True,
    )  # fmt: skip


def _consent_step(op: str, business, model) -> None:
    request = ConsentRequest.objects.filter(business_id=business.pk, model_id=model.pk).first()
    try:
        if op == "request":
            consent_services.consent_request(
                actor=business, model_user_id=model.pk, intended_use="Web shop photos, summer."
            )
        elif request is not None and op == "approve":
            consent_services.consent_approve(
                actor=model, consent_request_id=request.pk, allowed_categories=["top"]
            )
        elif request is not None and op == "reject":
            consent_services.consent_reject(actor=model, consent_request_id=request.pk)
        elif request is not None and op == "revoke":
            consent_services.consent_revoke(actor=model, consent_request_id=request.pk)
    except DomainError:
        pass  # not allowed in this state (cool-down, not pending, ...): nothing changes


@settings(PROPERTY, max_examples=4 if MONGO else 12)
@given(ops=consent_ops)
def test_any_interleaving_keeps_consent_arrays_equal_to_the_approved_requests(growth, ops):
    run = next(_ids)
    businesses = [BusinessProfileFactory(user__email=f"b{run}-{i}@shop.test").user for i in (0, 1)]
    models = [ModelProfileFactory(user__email=f"m{run}-{i}@models.test").user for i in (0, 1)]
    for user in businesses:
        give_package(user, growth)
    for user in models:
        make_listed(user)  # three photos and the signed release
    for op, b, m in ops:
        _consent_step(op, businesses[b], models[m])
    for business in businesses:
        approved = {
            str(r.model_id)
            for r in ConsentRequest.objects.filter(
                business_id=business.pk, status=ConsentStatus.APPROVED
            )
        }
        profile = BusinessProfile.objects.get(user_id=business.pk)
        assert {str(x) for x in profile.approved_models} == approved
    for model in models:
        approved = {
            str(r.business_id)
            for r in ConsentRequest.objects.filter(model_id=model.pk, status=ConsentStatus.APPROVED)
        }
        profile = ModelProfile.objects.get(user_id=model.pk)
        assert {str(x) for x in profile.approved_businesses} == approved
