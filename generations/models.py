"""generations (the seed's collection, plus job fields), generation_batches, royalty_ledger."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from modelsnapper.fields import ObjectIdPrimaryKey, StringListField
from modelsnapper.garments import GarmentCategory, garment_labels

ROYALTY_PER_GENERATION = Decimal("1.00")


class ModelType(models.TextChoices):
    AI_AVATAR = "AI_AVATAR", "AI avatar"
    HUMAN_MODEL = "HUMAN_MODEL", "Human model"


class GenerationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"
    TAKEN_DOWN = "taken_down", "Taken down"


# A job in one of these states will not change any more (except take-down).
TERMINAL_STATUSES = frozenset(
    {
        GenerationStatus.SUCCEEDED,
        GenerationStatus.FAILED,
        GenerationStatus.REFUSED,
        GenerationStatus.TAKEN_DOWN,
    }
)
# States whose credit goes back to the business.
REFUNDED_STATUSES = frozenset({GenerationStatus.FAILED, GenerationStatus.REFUSED})


class GenerationBatch(models.Model):
    """One submit of the new-generation form; its key makes a double submit one batch."""

    id = ObjectIdPrimaryKey()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="userId",
        related_name="generation_batches",
    )
    # Client-provided token from the form: the same token twice is the same batch.
    idempotency_key = models.CharField(max_length=64, db_column="idempotencyKey")
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")

    class Meta:
        db_table = "generation_batches"
        ordering = ["-created_at"]
        verbose_name = "generation batch"
        verbose_name_plural = "generation batches"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="generation_batches_user_key_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"Batch {self.id}"


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

    # --- job fields (beyond the seed) -------------------------------------------------
    # The AI avatar worn (null for a human model).
    avatar = models.ForeignKey(
        "marketplace.AIAvatar",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="avatarId",
        related_name="generations",
    )
    batch = models.ForeignKey(
        GenerationBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_column="batchId",
        related_name="generations",
    )
    status = models.CharField(
        max_length=16,
        choices=GenerationStatus.choices,
        default=GenerationStatus.QUEUED,
        db_column="status",
    )
    garment_category = models.CharField(
        max_length=16,
        choices=GarmentCategory.choices,
        default=GarmentCategory.TOP,
        db_column="garmentCategory",
    )
    product_image_key = models.CharField(
        max_length=500, blank=True, default="", db_column="productImageKey"
    )
    thumbnail_s3_url = models.CharField(
        max_length=500, blank=True, default="", db_column="thumbnailS3Url"
    )
    error_message = models.CharField(
        max_length=500, blank=True, default="", db_column="errorMessage"
    )
    # The consent that allowed a human-model generation, snapshotted for provenance.
    consent_request = models.ForeignKey(
        "marketplace.ConsentRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="consentRequestId",
        related_name="generations",
    )
    release_version = models.CharField(
        max_length=32, blank=True, default="", db_column="releaseVersion"
    )
    usage_limits = StringListField(db_column="usageLimits")
    engine = models.CharField(max_length=32, blank=True, default="")
    # How many times a worker claimed the job; a claim is a conditional update on it.
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")
    started_at = models.DateTimeField(null=True, blank=True, db_column="startedAt")
    finished_at = models.DateTimeField(null=True, blank=True, db_column="finishedAt")
    # Misuse report by the model: a frozen output cannot be downloaded until an admin acts.
    is_frozen = models.BooleanField(default=False, db_column="isFrozen")
    reported_at = models.DateTimeField(null=True, blank=True, db_column="reportedAt")
    report_reason = models.CharField(
        max_length=1000, blank=True, default="", db_column="reportReason"
    )

    class Meta:
        db_table = "generations"
        ordering = ["-generated_at"]
        indexes = [
            models.Index(fields=["user", "-generated_at"], name="generations_user_history"),
            models.Index(fields=["model", "-generated_at"], name="generations_model_royalty"),
            models.Index(fields=["status", "started_at"], name="generations_status_started"),
        ]

    def __str__(self) -> str:
        return f"Generation {self.id}"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def usage_limit_labels(self) -> list[str]:
        return garment_labels(self.usage_limits)

    @property
    def wearer_name(self) -> str:
        if self.model_type == ModelType.HUMAN_MODEL:
            profile = getattr(self.model, "model_profile", None) if self.model_id else None
            return profile.name if profile else "Human model"
        return self.avatar.name if self.avatar_id and self.avatar else "AI avatar"


class RoyaltyLedger(models.Model):
    """Append-only: one row per royalty, keyed ``royalty:<generation id>``.

    The model's ``royaltyBalance`` is a cache of the sum of these rows.
    """

    id = ObjectIdPrimaryKey()
    key = models.CharField(max_length=64, unique=True)
    model = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="modelId",
        related_name="royalty_entries",
    )
    business = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        db_column="businessId",
        related_name="+",
    )
    generation = models.ForeignKey(
        Generation,
        on_delete=models.PROTECT,
        db_column="generationId",
        related_name="royalty_entries",
    )
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    # Filled once, right after the balance moved (see services.royalty_credit).
    balance_after = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, db_column="balanceAfter"
    )
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")

    class Meta:
        db_table = "royalty_ledger"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["model", "-created_at"], name="royalty_ledger_model_created"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"


class LicenceRecord(models.Model):
    """The consent record behind one human-model output, for a brand to hand to a
    marketplace or a lawyer (the questions New York's Fashion Workers Act asks of a
    digital-replica consent). Written once, before the output is signed; the C2PA manifest
    names it by id and by the SHA-256 of ``document``, the exact JSON served."""

    id = ObjectIdPrimaryKey()
    generation = models.OneToOneField(
        Generation,
        on_delete=models.CASCADE,
        db_column="generationId",
        related_name="licence_record",
    )
    document = models.TextField()  # canonical JSON (sorted keys, compact), never re-rendered
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_column="createdAt")

    class Meta:
        db_table = "licence_records"

    def __str__(self) -> str:
        return f"licence {self.pk} for generation {self.generation_id}"
