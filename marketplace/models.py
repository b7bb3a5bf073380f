"""ai_avatars and consent_requests."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdPrimaryKey


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
        ]

    def __str__(self) -> str:
        return f"{self.business_id} → {self.model_id}: {self.status}"
