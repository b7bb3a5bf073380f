"""Idempotent demo data for `make run`: packages, avatars, one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts import services as account_services
from accounts.models import BusinessProfile, Role, SubscriptionStatus, User
from accounts.selectors import user_has_profile
from billing.models import Package
from billing.services import credits_grant, package_activate
from home.examples import seed_examples
from marketplace.avatar_art import DEMO_AVATARS, avatar_jpeg_bytes
from marketplace.demo_seed import seed_model_likeness
from marketplace.models import AIAvatar

DEMO_PACKAGES = [
    # stripe_price_id, name, credits, price, human model access, tier
    ("price_demo_starter", "STARTER TIER", 50, Decimal("29.00"), False, SubscriptionStatus.STARTER),
    ("price_demo_growth", "GROWTH TIER", 250, Decimal("99.00"), True, SubscriptionStatus.GROWTER),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: str
    name: str


DEMO_USERS = [
    DemoUser(
        "business@demo.modelsnapper.test", "demo-business-pass-1", Role.BUSINESS, "Demo Boutique"
    ),
    DemoUser("model@demo.modelsnapper.test", "demo-model-pass-1", Role.MODEL, "Demo Model Mia"),
    DemoUser("admin@demo.modelsnapper.test", "demo-admin-pass-1", Role.ADMIN, "Admin"),
]


def _seed_packages() -> None:
    for price_id, name, credits, price, human, tier in DEMO_PACKAGES:
        Package.objects.update_or_create(
            stripe_price_id=price_id,
            defaults={
                "name": name,
                "ai_credits_granted": credits,
                "price_amount": price,
                "human_model_access": human,
                "tier": tier,
                "is_active": True,
            },
        )


def _seed_avatars() -> None:
    for style in DEMO_AVATARS:
        key = f"avatars/{style.name.lower().replace(' ', '-')}.jpg"
        if not default_storage.exists(key):
            default_storage.save(key, ContentFile(avatar_jpeg_bytes(style)))
        AIAvatar.objects.update_or_create(
            name=style.name, defaults={"s3_url": key, "is_active": True}
        )


def _seed_user(demo: DemoUser) -> User:
    user = User.objects.filter(email=demo.email).first()
    if user is None:
        if demo.role == Role.ADMIN:
            user = User.objects.create_superuser(email=demo.email, password=demo.password)
        else:
            user = User.objects.create_user(
                email=demo.email, password=demo.password, role=demo.role
            )
    EmailAddress.objects.get_or_create(
        user=user, email=demo.email, defaults={"verified": True, "primary": True}
    )
    if not user_has_profile(user):
        account_services.profile_onboard(user=user, name=demo.name)
    return user


def seed_demo() -> list[DemoUser]:
    _seed_packages()
    _seed_avatars()
    # The landing page's example outputs, made by the offline engine.
    seed_examples()
    for demo in DEMO_USERS:
        user = _seed_user(demo)
        if demo.role == Role.MODEL:
            seed_model_likeness(user)
        if demo.role == Role.BUSINESS:
            business = BusinessProfile.objects.get(user=user)
            # The growth tier, so the demo business can browse the demo model too.
            package_activate(
                business=business, package=Package.objects.get(stripe_price_id="price_demo_growth")
            )
            # Starting credits so `make run` users can generate right away (once: keyed).
            credits_grant(
                business=business,
                amount=20,
                key="grant:seed-demo",
                note="Demo starting credits",
            )
    return DEMO_USERS
