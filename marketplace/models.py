"""ai_avatars, consent_requests, and the likeness collections around them:
consent_events (append-only audit trail), likeness_releases (versioned release
text), release_signatures (who signed which exact text, when, from where)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdPrimaryKey, StringListField


class AIAvatar(models.Model):
    id = ObjectIdPrimaryKey()
    name = models.CharField(max_length=120)
    # Storage key of the canonical reference image (private storage; never a public URL).
    s3_url = models.CharField(max_length=500, db_column="s3Url")
    is_active = models.BooleanField(default=True, db_index=True, db_column="isActive")

    class Meta:
        db_table = "ai_avatars"
        ordering = ["name"]
        verbose_name = "AI avatar"

    def __str__(self) -> str:
        return self.name


class ConsentStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    # Beyond the seed's three: a revoked or expired approval is not a rejection
    # (the business may ask again at once after expiry, the trail says why).
    REVOKED = "REVOKED", "Revoked"
    EXPIRED = "EXPIRED", "Expired"


class ConsentRequest(models.Model):
    id = ObjectIdPrimaryKey()
    # Both refs users._id, as the seed says.
    business = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="businessId",
        related_name="consent_requests_sent",
    )
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="modelId",
        related_name="consent_requests_received",
    )
    status = models.CharField(
        max_length=16, choices=ConsentStatus.choices, default=ConsentStatus.PENDING
    )
    requested_at = models.DateTimeField(
        default=timezone.now, db_index=True, db_column="requestedAt"
    )
    intended_use = models.TextField(max_length=500, blank=True, db_column="intendedUse")
    # Garment categories (modelsnapper.garments vocabulary) the model allows.
    allowed_categories = StringListField(db_column="allowedCategories")
    expires_at = models.DateTimeField(null=True, blank=True, db_column="expiresAt")
    decided_at = models.DateTimeField(null=True, blank=True, db_column="decidedAt")
    updated_at = models.DateTimeField(default=timezone.now, db_column="updatedAt")
    # Set when the "expires in a week" prompt went out, so it goes out once.
    renewal_prompted_at = models.DateTimeField(null=True, blank=True, db_column="renewalPromptedAt")
    # Bumped by every transition; conditional updates compare it, and each trail
    # event records it, so racing actions apply one at a time and sort in order.
    version = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "consent_requests"
        ordering = ["-requested_at"]
        constraints = [
            # One document per (business, model) pair, refused by the database even
            # when two requests race.
            models.UniqueConstraint(
                fields=["business", "model"], name="consent_requests_business_model_uniq"
            )
        ]
        indexes = [
            models.Index(
                fields=["business", "model", "status"], name="consent_business_model_status"
            ),
            models.Index(fields=["model", "status"], name="consent_model_status"),
            # The business's consents page and the model's inbox sections, newest first:
            # a page walks the index instead of sorting every request of the pair.
            models.Index(fields=["business", "-requested_at"], name="consent_business_time"),
            models.Index(
                fields=["model", "status", "-requested_at"], name="consent_model_status_time"
            ),
            # The inbox's past section (status IN rejected/revoked/expired) walks this.
            models.Index(fields=["model", "-requested_at"], name="consent_model_time"),
        ]

    def __str__(self) -> str:
        # Admin titles: who asked whom (the admin selects both users with the request).
        return f"{self.business} → {self.model} ({self.get_status_display()})"


class ConsentEventType(models.IntegerChoices):
    # The marketplace's range of audit event numbers is 400-499.
    REQUESTED = 401, "Requested"
    APPROVED = 402, "Approved"
    REJECTED = 403, "Rejected"
    REVOKED = 404, "Revoked"
    EXPIRED = 405, "Expired"
    LIMITS_CHANGED = 406, "Limits changed"
    RENEWAL_PROMPTED = 407, "Renewal reminder sent"
    RELEASE_SIGNED = 420, "Release signed"
    RELEASE_WITHDRAWN = 421, "Release withdrawn"
    REFERENCE_PHOTO_ADDED = 430, "Reference photo added"
    REFERENCE_PHOTO_REPLACED = 431, "Reference photo replaced"
    REFERENCE_PHOTO_DELETED = 432, "Reference photo deleted"
    # A generation of the likeness, reported by the model and reviewed by an admin.
    PHOTO_REPORTED = 440, "Photo reported"
    PHOTO_RELEASED = 441, "Reported photo released after review"
    PHOTO_TAKEN_DOWN = 442, "Photo taken down"


class ConsentEvent(models.Model):
    """Append-only: rows are only ever inserted (services), never edited."""

    id = ObjectIdPrimaryKey()
    # Whose likeness the event concerns (users._id of the model).
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="modelId",
        related_name="consent_events",
    )
    business = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="businessId",
        related_name="+",
    )
    consent_request = models.ForeignKey(
        ConsentRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="consentRequestId",
        related_name="events",
    )
    # None = the system (expiry command).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="actorId",
        related_name="+",
    )
    event_type = models.PositiveSmallIntegerField(
        choices=ConsentEventType.choices, db_column="eventType"
    )
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    # The consent request's version after this change (orders racing events).
    sequence = models.PositiveIntegerField(default=0)
    old_value = models.JSONField(null=True, blank=True, db_column="oldValue")
    new_value = models.JSONField(null=True, blank=True, db_column="newValue")

    class Meta:
        db_table = "consent_events"
        ordering = ["-created_at", "-sequence"]
        indexes = [
            models.Index(fields=["model", "-created_at"], name="consent_events_model_time"),
            models.Index(
                fields=["business", "model", "-created_at"], name="consent_events_pair_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} @ {self.created_at:%Y-%m-%d %H:%M}"


class LikenessRelease(models.Model):
    """One version of the release text. A new text is a new row, never an edit,
    so every signature points at the exact words that were signed."""

    id = ObjectIdPrimaryKey()
    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64, db_column="textSha256")
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="createdBy",
        related_name="+",
    )

    class Meta:
        db_table = "likeness_releases"
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}: {self.title}"


class ReleaseSignature(models.Model):
    id = ObjectIdPrimaryKey()
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="modelId",
        related_name="release_signatures",
    )
    release = models.ForeignKey(
        LikenessRelease, on_delete=models.PROTECT, db_column="releaseId", related_name="+"
    )
    release_version = models.PositiveIntegerField(db_column="releaseVersion")
    text_sha256 = models.CharField(max_length=64, db_column="textSha256")
    legal_name = models.CharField(max_length=200, db_column="legalName")
    signed_at = models.DateTimeField(default=timezone.now, db_column="signedAt")
    ip_address = models.GenericIPAddressField(null=True, blank=True, db_column="ipAddress")
    user_agent = models.CharField(max_length=500, blank=True, db_column="userAgent")
    withdrawn_at = models.DateTimeField(null=True, blank=True, db_column="withdrawnAt")
    # n-th signature of this model (0, 1, ...): two racing sign posts compute the
    # same number and the unique index keeps one.
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "release_signatures"
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model", "sequence"], name="release_signatures_model_sequence_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["model", "-signed_at"], name="release_signatures_model_time")
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} signed v{self.release_version}"


class LikenessSettings(models.Model):
    """A model's standing usage limits, shown to businesses before they ask and used
    as the default when the model approves a request (each approval keeps its own)."""

    id = ObjectIdPrimaryKey()
    model = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_column="modelId",
        related_name="likeness_settings",
    )
    allowed_categories = StringListField(db_column="allowedCategories")
    updated_at = models.DateTimeField(default=timezone.now, db_column="updatedAt")

    class Meta:
        db_table = "likeness_settings"
        verbose_name_plural = "likeness settings"

    def __str__(self) -> str:
        return f"{self.model_id}: {', '.join(self.allowed_categories)}"
