"""Bulk rows for `manage.py bench` and the paging tests: n of everything a list shows.

``build(n)`` gives three personas (a business with human-model access, a listed
model, an admin) and ``n`` rows in every collection a page or an admin changelist
lists: directory models, the business's consent requests and approved models, the
model's consent inbox and audit trail, generations (history, dashboard, royalties),
invoices, credit-ledger rows, and the admin-only collections. Rows are raw
(bulk_create, no services): they stand for data, not for workflows, and 10 000 of
each take seconds. Every call takes a ``prefix`` so two sizes can share one database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile, Role, SubscriptionStatus, User
from billing.models import (
    CheckoutSession,
    CreditLedgerEntry,
    CreditReversal,
    Dispute,
    Invoice,
    InvoiceStatus,
    LedgerReason,
    LedgerState,
    Package,
    StripeEvent,
)
from generations.models import (
    Generation,
    GenerationBatch,
    GenerationStatus,
    ModelType,
    RoyaltyLedger,
)
from marketplace.models import (
    AIAvatar,
    ConsentEvent,
    ConsentEventType,
    ConsentRequest,
    ConsentStatus,
    LikenessRelease,
    ReleaseSignature,
)
from marketplace.selectors import DEFAULT_ACCEPTED_CATEGORIES

BATCH = 2000


@dataclass(frozen=True)
class Personas:
    business: User
    model: User
    admin: User
    n: int


def _photos(user_id: str) -> list[str]:
    return [f"likeness/{user_id}/photo-{i}.jpg" for i in range(3)]


def _users(prefix: str, kind: str, role: str, n: int) -> list[User]:
    return User.objects.bulk_create(
        (User(email=f"{prefix}-{kind}-{i}@bench.test", role=role) for i in range(n)),
        batch_size=BATCH,
    )


def _release() -> LikenessRelease:
    release = LikenessRelease.objects.order_by("-version").first()
    if release is None:
        release = LikenessRelease.objects.create(
            version=1, title="Likeness release", text="bench", text_sha256="0" * 64
        )
    return release


def _personas(prefix: str, n: int, package: Package) -> Personas:
    business = User.objects.create_user(email=f"{prefix}-business@bench.test", role=Role.BUSINESS)
    model = User.objects.create_user(email=f"{prefix}-model@bench.test", role=Role.MODEL)
    admin = User.objects.create_user(
        email=f"{prefix}-admin@bench.test", role=Role.ADMIN, is_staff=True, is_superuser=True
    )
    BusinessProfile.objects.create(
        user=business,
        business_name=f"{prefix} Boutique",
        ai_credits=n,
        package=package,
        subscription_status=SubscriptionStatus.GROWTER,
    )
    ModelProfile.objects.create(
        user=model, name=f"{prefix} Mia", consent_signed=True, reference_images=_photos(model.pk)
    )
    release = _release()
    ReleaseSignature.objects.create(
        model=model,
        release=release,
        release_version=release.version,
        text_sha256=release.text_sha256,
        legal_name="Bench Model",
    )
    return Personas(business=business, model=model, admin=admin, n=n)


def _directory(prefix: str, n: int, who: Personas, now: datetime) -> None:
    """n listed models, each approving the business (its consents and wearer picker)."""
    models = _users(prefix, "listed", Role.MODEL, n)
    ModelProfile.objects.bulk_create(
        (
            ModelProfile(
                user=m,
                name=f"{prefix} Listed {i:05d}",
                consent_signed=True,
                reference_images=_photos(m.pk),
                approved_businesses=[who.business.pk],
            )
            for i, m in enumerate(models)
        ),
        batch_size=BATCH,
    )
    ConsentRequest.objects.bulk_create(
        (
            ConsentRequest(
                business=who.business,
                model=m,
                status=ConsentStatus.APPROVED,
                allowed_categories=list(DEFAULT_ACCEPTED_CATEGORIES),
                requested_at=now - timedelta(minutes=i),
                decided_at=now - timedelta(minutes=i),
            )
            for i, m in enumerate(models)
        ),
        batch_size=BATCH,
    )


def _inbox(prefix: str, n: int, who: Personas, now: datetime) -> None:
    """n pending, n approved and n past requests to the model (each inbox section is a
    list of n), with n audit events."""
    statuses = [ConsentStatus.PENDING, ConsentStatus.APPROVED, ConsentStatus.REJECTED]
    businesses = _users(prefix, "asker", Role.BUSINESS, 3 * n)
    BusinessProfile.objects.bulk_create(
        (
            BusinessProfile(user=b, business_name=f"{prefix} Asker {i:05d}")
            for i, b in enumerate(businesses)
        ),
        batch_size=BATCH,
    )
    requests = ConsentRequest.objects.bulk_create(
        (
            ConsentRequest(
                business=b,
                model=who.model,
                status=statuses[i % 3],
                intended_use="Product photos for our web shop.",
                allowed_categories=list(DEFAULT_ACCEPTED_CATEGORIES) if i % 3 == 1 else [],
                requested_at=now - timedelta(minutes=i),
                decided_at=None if i % 3 == 0 else now - timedelta(minutes=i),
            )
            for i, b in enumerate(businesses)
        ),
        batch_size=BATCH,
    )
    # The model's approvals array holds every business that asked: a page that
    # decodes it for each row pays for 3n ids per row.
    ModelProfile.objects.filter(user=who.model).update(
        approved_businesses=[who.business.pk, *(b.pk for b in businesses)]
    )
    ConsentEvent.objects.bulk_create(
        (
            ConsentEvent(
                model=who.model,
                business=r.business,
                consent_request=r,
                actor=r.business,
                event_type=ConsentEventType.REQUESTED,
                created_at=now - timedelta(minutes=i),
                sequence=i,
            )
            for i, r in enumerate(requests[:n])
        ),
        batch_size=BATCH,
    )


def _generations(n: int, who: Personas, now: datetime) -> None:
    """n generations of the business worn by the model (history, dashboard, royalties)."""
    batch = GenerationBatch.objects.create(user=who.business, idempotency_key="bench", size=n)
    generations = Generation.objects.bulk_create(
        (
            Generation(
                user=who.business,
                model=who.model,
                model_type=ModelType.HUMAN_MODEL,
                status=GenerationStatus.SUCCEEDED,
                royalty_paid=Decimal("1.00"),
                generated_at=now - timedelta(hours=i),
                created_at=now - timedelta(hours=i),
                garment_category="top",
                batch=batch,
                engine="offline",
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )
    RoyaltyLedger.objects.bulk_create(
        (
            RoyaltyLedger(
                key=f"royalty:{g.pk}",
                model=who.model,
                business=who.business,
                generation=g,
                amount=Decimal("1.00"),
                balance_after=Decimal(i + 1),
            )
            for i, g in enumerate(generations)
        ),
        batch_size=BATCH,
    )
    ModelProfile.objects.filter(user=who.model).update(royalty_balance=Decimal(n))
    GenerationBatch.objects.bulk_create(
        (
            GenerationBatch(user=who.business, idempotency_key=f"bench-{i}", size=0)
            for i in range(n - 1)
        ),
        batch_size=BATCH,
    )


def _billing(prefix: str, n: int, who: Personas, package: Package, now: datetime) -> None:
    business = BusinessProfile.objects.get(user=who.business)
    Invoice.objects.bulk_create(
        (
            Invoice(
                user=who.business,
                stripe_invoice_id=f"in_{prefix}_{i}",
                invoice_number=f"{prefix.upper()}-{i:05d}",
                amount_due=Decimal("29.00"),
                status=InvoiceStatus.PAID,
                period_start=now - timedelta(days=i),
                period_end=now - timedelta(days=i),
                paid_at=now - timedelta(days=i),
                line_items=[{"description": "GROWTH TIER", "quantity": 1, "amount": 2900}],
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )
    CreditLedgerEntry.objects.bulk_create(
        (
            CreditLedgerEntry(
                business=business,
                delta=1,
                reason=LedgerReason.GRANT,
                key=f"grant:{prefix}-{i}",
                state=LedgerState.APPLIED,
                balance_after=n - i,
                created_at=now - timedelta(minutes=i),
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )
    sessions = CheckoutSession.objects.bulk_create(
        (
            CheckoutSession(
                stripe_session_id=f"cs_{prefix}_{i}", business=business, package=package, credits=1
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )
    StripeEvent.objects.bulk_create(
        (StripeEvent(stripe_event_id=f"evt_{prefix}_{i}", type="invoice.paid") for i in range(n)),
        batch_size=BATCH,
    )
    CreditReversal.objects.bulk_create(
        (
            CreditReversal(
                key=f"reversal:{prefix}-{i}",
                business=business,
                checkout_session=s,
                stripe_charge_id=f"ch_{prefix}_{i}",
            )
            for i, s in enumerate(sessions)
        ),
        batch_size=BATCH,
    )
    Dispute.objects.bulk_create(
        (
            Dispute(
                stripe_dispute_id=f"dp_{prefix}_{i}",
                stripe_charge_id=f"ch_{prefix}_{i}",
                business=business,
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )


def build(n: int, *, prefix: str = "bench", now: datetime | None = None) -> Personas:
    """The personas and n rows of every listed collection (see the module docstring)."""
    now = now or timezone.now()
    package = Package.objects.create(
        stripe_price_id=f"price_{prefix}_human",
        name=f"{prefix.upper()} GROWTH",
        ai_credits_granted=100,
        human_model_access=True,
    )
    # n packages in all (the business-profile admin must not list each as a filter).
    Package.objects.bulk_create(
        (
            # Retired packages: the packages page shows the few on sale.
            Package(
                stripe_price_id=f"price_{prefix}_{i}",
                name=f"{prefix} pack {i}",
                ai_credits_granted=1,
                is_active=False,
            )
            for i in range(n - 1)
        ),
        batch_size=BATCH,
    )
    # n avatars, three of them active (the admin lists all; the picker the active).
    AIAvatar.objects.bulk_create(
        (
            AIAvatar(
                name=f"{prefix} Avatar {i}", s3_url=f"avatars/{prefix}-{i}.jpg", is_active=i < 3
            )
            for i in range(n)
        ),
        batch_size=BATCH,
    )
    who = _personas(prefix, n, package)
    _directory(prefix, n, who, now)
    _inbox(prefix, n, who, now)
    _generations(n, who, now)
    _billing(prefix, n, who, package, now)
    return who
