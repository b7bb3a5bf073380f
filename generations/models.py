"""generations."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdPrimaryKey


class ModelType(models.TextChoices):
    AI_AVATAR = "AI_AVATAR", "AI avatar"
    HUMAN_MODEL = "HUMAN_MODEL", "Human model"


class Generation(models.Model):
    id = ObjectIdPrimaryKey()
    # Business user (refs users._id)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="userId",
        related_name="generations",
    )
    # Human model used (refs users._id) or null for an AI avatar
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="modelId",
        related_name="likeness_generations",
    )
    model_type = models.CharField(max_length=16, choices=ModelType.choices, db_column="modelType")
    output_s3_url = models.CharField(
        max_length=500, blank=True, default="", db_column="outputS3Url"
    )
    royalty_paid = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("0.00"), db_column="royaltyPaid"
    )
    generated_at = models.DateTimeField(default=timezone.now, db_column="generatedAt")

    class Meta:
        db_table = "generations"
        ordering = ["-generated_at"]
        indexes = [
            models.Index(fields=["user", "-generated_at"], name="generations_user_history"),
            models.Index(fields=["model", "-generated_at"], name="generations_model_royalty"),
        ]

    def __str__(self) -> str:
        return f"Generation {self.id}"
