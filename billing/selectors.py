"""Reads for billing, scoped to the requesting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet, Sum
from django.http import QueryDict
from django.utils import timezone

from accounts.models import BusinessProfile, User
from accounts.selectors import business_profile_for
from billing.models import (
    CheckoutSession,
    CreditLedgerEntry,
    Invoice,
    LedgerState,
    Package,
)
from modelsnapper.charts import Chart, line_chart
from modelsnapper.paging import Paged, page_of


def business_balance(*, user: User | None = None, business: BusinessProfile | None = None) -> int:
    """The current credit balance, read fresh (for a user's business or a profile)."""
    if business is None:
        if user is None:
            raise TypeError("business_balance needs a user or a business")
        business = business_profile_for(user)
    business_id = business.pk
    return BusinessProfile.objects.filter(pk=business_id).values_list("ai_credits", flat=True).get()


def active_packages() -> list[Package]:
    return list(Package.objects.filter(is_active=True))


def packages_page(*, user: User) -> dict[str, object]:
    return {"profile": business_profile_for(user), "packages": active_packages()}


def checkout_session_for(*, user: User, stripe_session_id: str) -> CheckoutSession:
    """This business's checkout session (DoesNotExist → 404 for anyone else's)."""
    return CheckoutSession.objects.select_related("package").get(
        stripe_session_id=stripe_session_id, business_id=business_profile_for(user).pk
    )


def invoices_for(*, user: User) -> QuerySet[Invoice]:
    """The business's invoices, newest first (paged by the view); line items stay undecoded."""
    return (
        Invoice.objects.filter(user_id=user.pk).defer("line_items").order_by("-period_start", "-pk")
    )


def invoice_for(*, user: User, invoice_id: str) -> Invoice:
    return Invoice.objects.get(pk=invoice_id, user_id=user.pk)


def ledger_for(*, user: User) -> QuerySet[CreditLedgerEntry]:
    """The business's applied ledger rows, newest first (the (business, -createdAt) index)."""
    profile = business_profile_for(user)
    return (
        CreditLedgerEntry.objects.filter(business_id=profile.pk, state=LedgerState.APPLIED)
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )


def balance_chart(entries: list[CreditLedgerEntry]) -> Chart | None:
    """The balance after each row shown (oldest → newest), with a credits axis and dates."""
    points = [
        (f"{entry.created_at:%d %b}".lstrip("0"), entry.balance_after)
        for entry in reversed(entries)
        if entry.balance_after is not None
    ]
    return line_chart(points)


def credit_history(*, user: User, params: QueryDict | None = None) -> dict[str, object]:
    """One page of the ledger (every row reachable) and the balance over that page's rows."""
    profile = business_profile_for(user)
    entries: Paged[CreditLedgerEntry] = page_of(
        ledger_for(user=user), params if params is not None else QueryDict()
    )
    return {"profile": profile, "entries": entries, "chart": balance_chart(entries.rows)}


def businesses_with_stale_pending_rows(*, older_than: timedelta) -> list[BusinessProfile]:
    """Businesses with a PENDING row whose writer must have crashed (see services._move)."""
    ids = set(
        CreditLedgerEntry.objects.filter(
            state=LedgerState.PENDING, created_at__lt=timezone.now() - older_than
        ).values_list("business_id", flat=True)
    )
    return list(BusinessProfile.objects.filter(pk__in=ids).select_related("user").order_by("pk"))


@dataclass(frozen=True)
class LedgerMismatch:
    business: BusinessProfile
    cached: int
    ledger: int
    in_doubt: int


def ledger_mismatches(*, business_ids: list[str] | None = None) -> list[LedgerMismatch]:
    """Businesses whose cached aiCredits differ from the sum of their applied rows."""
    sums = {
        row["business_id"]: row["total"]
        for row in CreditLedgerEntry.objects.filter(state=LedgerState.APPLIED)
        .values("business_id")
        .annotate(total=Sum("delta"))
        .order_by()
    }
    pending: dict[str, int] = {}
    for business_id in CreditLedgerEntry.objects.filter(state=LedgerState.PENDING).values_list(
        "business_id", flat=True
    ):
        pending[business_id] = pending.get(business_id, 0) + 1
    businesses = BusinessProfile.objects.select_related("user").order_by("pk")
    if business_ids is not None:
        businesses = businesses.filter(pk__in=business_ids)
    return [
        LedgerMismatch(
            business=business,
            cached=business.ai_credits,
            ledger=sums.get(business.pk, 0),
            in_doubt=pending.get(business.pk, 0),
        )
        for business in businesses.iterator(chunk_size=2000)
        if business.ai_credits != sums.get(business.pk, 0)
    ]
