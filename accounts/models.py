"""users, business_profiles, model_profiles — the seed's first three collections."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdListField, ObjectIdPrimaryKey, StringListField


class Role(models.TextChoices):
    BUSINESS = "BUSINESS", "Business"
    MODEL = "MODEL", "Model"
    ADMIN = "ADMIN", "Admin"


class SubscriptionStatus(models.TextChoices):
    FREE = "FREE", "Free"
    STARTER = "STARTER", "Starter"
    # The seed spells the growth tier 'GROWTER'; the stored value is the contract.
    GROWTER = "GROWTER", "Growth"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("role", Role.ADMIN)
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))


def normalize_email(email: str) -> str:
    # Emails are unique case-insensitively; MongoDB's unique index is
    # case-sensitive, so the stored form is lower-case.
    return (email or "").strip().lower()


class User(AbstractBaseUser, PermissionsMixin):
    id = ObjectIdPrimaryKey()
    clerk_id = models.CharField(
        max_length=255, unique=True, null=True, blank=True, db_column="clerkId"
    )
    email = models.EmailField(max_length=254, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    is_active = models.BooleanField(default=True, db_column="isActive")
    is_staff = models.BooleanField(default=False, db_column="isStaff")

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        db_table = "users"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    @property
    def is_business(self) -> bool:
        return self.role == Role.BUSINESS

    @property
    def is_model(self) -> bool:
        return self.role == Role.MODEL

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class BusinessProfile(models.Model):
    id = ObjectIdPrimaryKey()
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, db_column="userId", related_name="business_profile"
    )
    business_name = models.CharField(max_length=120, db_column="businessName")
    # Changed only by billing.services through conditional single-document updates.
    ai_credits = models.IntegerField(default=0, db_column="aiCredits")
    # The keys of the last credit movements applied to aiCredits, written by the same
    # single-document update that moved it (modelsnapper.counters.add_and_read): the proof
    # check_ledgers --repair needs. Bounded (LEDGER_KEYS_KEPT), newest last.
    recent_ledger_keys = models.JSONField(default=list, blank=True, db_column="recentLedgerKeys")
    subscription_status = models.CharField(
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.FREE,
        db_column="subscriptionStatus",
    )
    # refs model_profiles._id
    approved_models = ObjectIdListField(db_column="approvedModels")
    stripe_customer_id = models.CharField(
        max_length=255, null=True, blank=True, db_index=True, db_column="stripeCustomerId"
    )
    package = models.ForeignKey(
        "billing.Package",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="packageId",
        related_name="+",
    )

    class Meta:
        db_table = "business_profiles"
        constraints = [
            # Enforced by SQL; on MongoDB the conditional update in credits_spend guards it.
            models.CheckConstraint(
                condition=models.Q(ai_credits__gte=0), name="business_profiles_credits_gte_0"
            )
        ]

    def __str__(self) -> str:
        return self.business_name

    @property
    def includes_human_models(self) -> bool:
        """The one rule for "this business may use real models": its package grants the
        human-model marketplace. (Select the package with the profile to save a query.)"""
        return self.package is not None and self.package.human_model_access


class ModelProfile(models.Model):
    id = ObjectIdPrimaryKey()
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, db_column="userId", related_name="model_profile"
    )
    name = models.CharField(max_length=120)
    # Changed only by generations.services (royalty credit) through conditional updates.
    royalty_balance = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), db_column="royaltyBalance"
    )
    reference_images = StringListField(db_column="referenceImages")
    # refs business_profiles.userId (the business's users._id)
    approved_businesses = ObjectIdListField(db_column="approvedBusinesses")
    consent_signed = models.BooleanField(default=False, db_column="consentSigned")

    class Meta:
        db_table = "model_profiles"
        # The model directory is listed by name: a page walks this index.
        indexes = [models.Index(fields=["name"], name="model_profiles_name")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(royalty_balance__gte=0),
                name="model_profiles_royalty_gte_0",
            )
        ]

    def __str__(self) -> str:
        return self.name
