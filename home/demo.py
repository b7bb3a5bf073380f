"""Idempotent demo data for `make run`: packages, avatars, one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from allauth.account.models import EmailAddress

from accounts import services as account_services
from accounts.models import BusinessProfile, Role, SubscriptionStatus, User
from accounts.selectors import user_has_profile
from billing.models import Package
from billing.services import credits_grant, package_activate
from home.examples import seed_examples
from marketplace.avatar_art import DEMO_AVATARS, avatar_jpeg_bytes
from marketplace.demo_seed import seed_model_likeness
from marketplace.models import AIAvatar
from marketplace.services import avatar_create, avatar_update, is_avatar_key
from modelsnapper.storage import exists_private as storage_exists

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


def _seed_avatars(admin: User) -> None:
    # Through the avatar service, like an admin's upload: the image pipeline, the avatars/ prefix.
    for style in DEMO_AVATARS:
        avatar = AIAvatar.objects.filter(name=style.name).first()
        if avatar is None:
            avatar_create(actor=admin, name=style.name, upload=avatar_jpeg_bytes(style))
        elif not is_avatar_key(avatar.s3_url) or not storage_exists(avatar.s3_url):
            avatar_update(
                actor=admin,
                avatar=avatar,
                name=style.name,
                is_active=True,
                upload=avatar_jpeg_bytes(style),
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
    # The landing page's example outputs, made by the offline engine.
    seed_examples()
    for demo in DEMO_USERS:
        user = _seed_user(demo)
        if demo.role == Role.ADMIN:
            _seed_avatars(user)
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
