"""Writes for generations: create a batch, run a job, settle credits and royalties.

Money invariants never rest on a multi-document transaction (``atomic()`` does
nothing on MongoDB); each movement is idempotent by its ledger key:

- ``spend:<generation id>``   one credit, taken by ``generation_create``;
- ``refund:<generation id>``  the credit back, when the job fails or is refused;
- ``royalty:<generation id>`` $1.00 to the human model, when the job succeeds.

A job's state moves only through conditional single-document updates
(``filter(pk=…, status=…).update(…)``): the worker that flips queued → running
owns the job, a duplicate delivery matches 0 rows and does nothing. Settling
(refund or royalty) is keyed and therefore safe to repeat; every delivery of a
finished job re-settles it, which repairs a worker that died between finishing
the job and paying.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.models import BusinessProfile, ModelProfile, Role, User
from billing.models import CreditLedgerEntry, LedgerState
from billing.services import InsufficientCredits, credits_refund, credits_spend
from generations.engines import EngineError, EngineRequest, get_engine
from generations.licence import licence_record_ensure
from generations.models import (
    REFUNDED_STATUSES,
    ROYALTY_PER_GENERATION,
    Generation,
    GenerationBatch,
    GenerationStatus,
    LicenceRecord,
    ModelType,
    RoyaltyLedger,
)
from generations.provenance import ProvenanceInfo, sign_output
from generations.queue import enqueue_generations
from marketplace.hooks import LikenessEnded
from marketplace.models import AIAvatar, ConsentEventType
from marketplace.selectors import active_consent, consent_allows_category, model_reference_image_key
from marketplace.services import is_avatar_key, likeness_use_event_record
from modelsnapper import heartbeat
from modelsnapper.counters import add_and_read
from modelsnapper.errors import DomainError
from modelsnapper.garments import GarmentCategory, garment_labels
from modelsnapper.images import process_image_upload
from modelsnapper.storage import (
    MSG_STORAGE_DOWN,
    StorageUnavailable,
    delete_private,
    read_private,
    save_private,
    save_private_all,
)
from modelsnapper.text import clean_prose

logger = logging.getLogger(__name__)

MAX_PHOTOS_PER_BATCH = 20
THUMBNAIL_WIDTH = 384
# A job still "running" after this long belongs to a worker that died: retry it. The
# longest job (FASHN: a 180 s deadline, then the download) ends well before this, and
# the scheduler sweeps every REQUEUE_SWEEP_EVERY: a dead worker's job runs again
# within 5 minutes.
STALE_RUNNING_AFTER = timedelta(minutes=4)
REQUEUE_SWEEP_EVERY = timedelta(minutes=1)
# A job still "queued" after this long lost its queue message: enqueue it again.
STALE_QUEUED_AFTER = timedelta(minutes=10)
# A job is given up (failed, refunded) after this many claims.
MAX_ATTEMPTS = 3
# The sweep settles finished jobs left unsettled by a dead worker, this far back,
# leaving the worker that just finished a job the time to settle it itself.
SETTLE_LOOKBACK = timedelta(days=7)
SETTLE_GRACE = timedelta(minutes=2)
# Wait before running a job again after a passing engine error (times the attempt).
RETRY_BACKOFF = timedelta(seconds=30)

# User-facing messages (tests assert on them).
MSG_NO_PHOTOS = "Choose at least one product photo."
MSG_PAUSED = (
    "Generation is paused: no worker is running to make photos right now. "
    "Nothing was charged. Try again in a minute."
)
MSG_TOO_MANY_PHOTOS = "Upload at most {limit} photos at once (you chose {count})."
MSG_BAD_CATEGORY = "Choose a garment category."
MSG_WEARER_UNAVAILABLE = "This wearer is not available to you any more. Choose another one."
MSG_AVATAR_INACTIVE = "This AI avatar is no longer available."
MSG_NO_HUMAN_ACCESS = (
    "Your package does not include human models. Choose an AI avatar or upgrade your package."
)
MSG_NO_CONSENT = (
    "This model has not given your business consent, or it has ended (revoked or expired), "
    "so no photo was made and no credit was used. Choose another wearer."
)
MSG_CATEGORY_NOT_ALLOWED = "{name} does not allow {category} photos. Allowed: {allowed}."
MSG_NO_REFERENCE = "This model has no likeness reference photo yet."
MSG_CREDITS_MISSING = "{missing} credits missing: this batch needs {needed}, you have {have}."
MSG_CREDIT_MISSING = "1 credit missing: this batch needs {needed}, you have {have}."
MSG_REVOKED_WHILE_QUEUED = "Refused: the model revoked consent before the job ran. Credit refunded."
MSG_ENGINE_FAILED = "The image could not be generated. Your credit was refunded."
MSG_BAD_OUTPUT = "The engine returned an unreadable image. Your credit was refunded."
MSG_GAVE_UP = "The job did not finish after {attempts} attempts. Your credit was refunded."
MSG_NOT_YOURS = "Only the model whose likeness was used can report this image."
MSG_ALREADY_TAKEN_DOWN = "This image has already been taken down."
MSG_UNPAID = "Refused: this job's credit was never taken, so it was not run."


# --- wearers ---------------------------------------------------------------------------


class GenerationCode(StrEnum):
    """The codes of this module's refusals (``DomainError.code``): one name per reason."""

    AVATAR_INACTIVE = "avatar_inactive"
    BAD_OUTPUT = "bad_output"
    CATEGORY = "category"
    CATEGORY_NOT_ALLOWED = "category_not_allowed"
    CREDITS_MISSING = "credits_missing"
    NO_CONSENT = "no_consent"
    NO_HUMAN_ACCESS = "no_human_access"
    NO_KEY = "no_key"
    NO_PHOTOS = "no_photos"
    NO_REASON = "no_reason"
    NO_REFERENCE = "no_reference"
    NOT_ADMIN = "not_admin"
    STORAGE = "storage"
    NOT_OWNER = "not_owner"
    NOT_YOURS = "not_yours"
    PAUSED = "paused"
    RUNNING = "running"
    TAKEN_DOWN = "taken_down"
    TOO_MANY_PHOTOS = "too_many_photos"
    WEARER = "wearer"


@dataclass(frozen=True)
class Wearer:
    """Who wears the garment: ``kind`` is ``"avatar"`` or ``"model"``, ``id`` the
    avatar's id or the human model's ``users._id``."""

    kind: str
    id: str

    @classmethod
    def parse(cls, value: str) -> Wearer:
        kind, _, ident = (value or "").partition(":")
        if kind not in {"avatar", "model"} or not ident:
            raise DomainError(MSG_WEARER_UNAVAILABLE, code=GenerationCode.WEARER)
        return cls(kind=kind, id=ident)

    @property
    def token(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass(frozen=True)
class _Clearance:
    """What a check of the wearer found: the rows to record on the generation."""

    model_type: str
    avatar: Any = None
    model_user: User | None = None
    consent_request_id: str | None = None
    release_version: str = ""
    usage_limits: tuple[str, ...] = ()


def _category_label(category: str) -> str:
    (label,) = garment_labels([category])
    return label.lower()


def _check_human_model(
    *, business: BusinessProfile, model_user_id: str, category: str, code: str = "wearer"
) -> _Clearance:
    """Package grants human models + consent APPROVED (release signed) + category allowed."""

    if not business.includes_human_models:
        raise DomainError(MSG_NO_HUMAN_ACCESS, code=GenerationCode.NO_HUMAN_ACCESS)
    grant = active_consent(business_user_id=business.user_id, model_user_id=model_user_id)
    if grant is None:
        raise DomainError(MSG_NO_CONSENT, code=GenerationCode.NO_CONSENT)
    if not consent_allows_category(grant, category):
        profile = ModelProfile.objects.filter(user_id=model_user_id).first()
        allowed = ", ".join(_category_label(c) for c in (grant.allowed_categories or [])) or "none"
        raise DomainError(
            MSG_CATEGORY_NOT_ALLOWED.format(
                name=profile.name if profile else "This model",
                category=_category_label(category),
                allowed=allowed,
            ),
            code=GenerationCode.CATEGORY_NOT_ALLOWED,
        )
    model_user = User.objects.filter(pk=model_user_id, role=Role.MODEL).first()
    if model_user is None:
        raise DomainError(MSG_WEARER_UNAVAILABLE, code=code)
    return _Clearance(
        model_type=ModelType.HUMAN_MODEL,
        model_user=model_user,
        consent_request_id=grant.consent_request_id,
        release_version=str(grant.release_version or ""),
        usage_limits=tuple(grant.allowed_categories or ()),
    )


def _check_wearer(*, business: BusinessProfile, wearer: Wearer, category: str) -> _Clearance:

    if wearer.kind == "avatar":
        avatar = AIAvatar.objects.filter(pk=wearer.id, is_active=True).first()
        if avatar is None or not is_avatar_key(avatar.s3_url):
            raise DomainError(MSG_WEARER_UNAVAILABLE, code=GenerationCode.WEARER)
        return _Clearance(model_type=ModelType.AI_AVATAR, avatar=avatar)
    clearance = _check_human_model(business=business, model_user_id=wearer.id, category=category)
    if not model_reference_image_key(model_user_id=wearer.id):
        raise DomainError(MSG_NO_REFERENCE, code=GenerationCode.NO_REFERENCE)
    return clearance


# --- create ------------------------------------------------------------------------------


def _credits_missing_error(*, needed: int, have: int) -> DomainError:
    missing = needed - max(have, 0)
    template = MSG_CREDIT_MISSING if missing == 1 else MSG_CREDITS_MISSING
    return DomainError(
        template.format(missing=missing, needed=needed, have=max(have, 0)),
        code=GenerationCode.CREDITS_MISSING,
    )


def generation_create(
    *,
    business: BusinessProfile,
    wearer: Wearer,
    category: str,
    photos: Sequence[Any],
    batch_key: str,
    actor: User,
) -> GenerationBatch:
    """One generation per photo, one credit each, queued after commit.

    All or nothing: a batch the balance cannot cover is refused before anything is
    written ("N credits missing"). ``batch_key`` comes from the form: a second
    submit with the same key returns the first batch and spends nothing.
    """
    if actor.pk != business.user_id:
        raise DomainError(MSG_WEARER_UNAVAILABLE, code=GenerationCode.NOT_OWNER)
    batch_key = (batch_key or "").strip()[:64]
    if not batch_key:
        raise DomainError(
            "The form expired. Reload the page and try again.", code=GenerationCode.NO_KEY
        )
    # A replay of a submitted form is the same batch: answer it before any check.
    replayed = _submitted_batch(business, batch_key)
    if replayed is not None:
        return replayed
    if not heartbeat.workers_alive():
        # Nothing would run the jobs: refuse before a credit is spent.
        raise DomainError(MSG_PAUSED, code=GenerationCode.PAUSED)
    photos = _checked_photos(category, photos)
    clearance = _check_wearer(business=business, wearer=wearer, category=category)
    # The balance is checked before any photo is decoded: decoding up to 20 large
    # photos is the expensive part, and a batch nobody can pay for must not cost it.
    _check_balance(business, needed=len(photos))
    stored_keys = _store_product_photos(photos)
    try:
        return _queue_batch(
            business=business,
            clearance=clearance,
            category=category,
            stored_keys=stored_keys,
            batch_key=batch_key,
            actor=actor,
        )
    except Exception:
        # Refused (or crashed): on SQL the rows rolled back, so the files are orphans.
        # On MongoDB refused rows stay as a record, without their product photos.
        _delete_files(stored_keys)
        raise


def _submitted_batch(business: BusinessProfile, batch_key: str) -> GenerationBatch | None:
    return GenerationBatch.objects.filter(
        user_id=business.user_id, idempotency_key=batch_key
    ).first()


def _checked_photos(category: str, photos: Sequence[Any]) -> list[Any]:
    if category not in GarmentCategory.values:
        raise DomainError(MSG_BAD_CATEGORY, code=GenerationCode.CATEGORY)
    chosen = [photo for photo in photos if photo]
    if not chosen:
        raise DomainError(MSG_NO_PHOTOS, code=GenerationCode.NO_PHOTOS)
    if len(chosen) > MAX_PHOTOS_PER_BATCH:
        raise DomainError(
            MSG_TOO_MANY_PHOTOS.format(limit=MAX_PHOTOS_PER_BATCH, count=len(chosen)),
            code=GenerationCode.TOO_MANY_PHOTOS,
        )
    return chosen


def _credits_of(business: BusinessProfile) -> int:
    return int(
        BusinessProfile.objects.filter(pk=business.pk).values_list("ai_credits", flat=True)[0]
    )


def _check_balance(business: BusinessProfile, *, needed: int) -> None:
    have = _credits_of(business)
    if have < needed:
        raise _credits_missing_error(needed=needed, have=have)


def _store_product_photos(photos: list[Any]) -> list[str]:
    """Each photo re-encoded and stored; the storage keys, in order.

    Only the re-encoded JPEG of each photo is kept: holding every decoded image (up
    to 40 MP, ~120 MB each) until the batch is stored would cost gigabytes. Files go
    first, outside the transaction: storage I/O (S3) never holds the database's write
    lock, and a job never points at a file that is not there yet.
    """

    processed_jpegs: list[bytes] = []
    for index, photo in enumerate(photos, start=1):
        try:
            processed_jpegs.append(process_image_upload(photo, thumbnail=False).jpeg_bytes)
        except DomainError as exc:
            name = getattr(photo, "name", "") or f"photo {index}"
            raise DomainError(f"{name}: {exc.message}", code=exc.code) from None
    try:
        # All or none: a storage failure mid-batch leaves no file behind.
        return save_private_all(prefix="generations/products", contents=processed_jpegs)
    except StorageUnavailable:
        logger.exception("Storing a batch of %d product photos failed", len(processed_jpegs))
        raise DomainError(MSG_STORAGE_DOWN, code=GenerationCode.STORAGE) from None


def _delete_files(keys: Sequence[str]) -> None:

    for key in keys:
        delete_private(key)


def _queue_batch(
    *,
    business: BusinessProfile,
    clearance: _Clearance,
    category: str,
    stored_keys: list[str],
    batch_key: str,
    actor: User,
) -> GenerationBatch:
    """The batch, its queued generations and their credits; the jobs go after commit."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                batch = GenerationBatch.objects.create(
                    user_id=business.user_id, idempotency_key=batch_key, size=len(stored_keys)
                )
        except IntegrityError:
            # Two submits raced: the unique (user, key) index kept one batch.
            _delete_files(stored_keys)
            return GenerationBatch.objects.get(user_id=business.user_id, idempotency_key=batch_key)
        now = timezone.now()
        generations = [
            Generation.objects.create(
                user_id=business.user_id,
                model=clearance.model_user,
                model_type=clearance.model_type,
                avatar=clearance.avatar,
                batch=batch,
                status=GenerationStatus.QUEUED,
                garment_category=category,
                product_image_key=key,
                consent_request_id=clearance.consent_request_id,
                release_version=clearance.release_version,
                usage_limits=list(clearance.usage_limits),
                generated_at=now,
                created_at=now,
            )
            for key in stored_keys
        ]
        _spend_for_batch(business=business, batch=batch, generations=generations, actor=actor)
        ids = [generation.id for generation in generations]
        transaction.on_commit(lambda: enqueue_generations(ids))
    return batch


def _spend_for_batch(
    *,
    business: BusinessProfile,
    batch: GenerationBatch,
    generations: list[Generation],
    actor: User,
) -> None:
    """One credit per generation, or none: a lost race refunds what this batch took
    (MongoDB keeps partial writes), marks the batch refused and says what is missing."""

    spent: list[Generation] = []
    try:
        for generation in generations:
            credits_spend(
                business=business,
                amount=1,
                key=f"spend:{generation.id}",
                actor=actor,
                note="Generation",
            )
            spent.append(generation)
    except InsufficientCredits:
        # Another request spent the credits between our check and now.
        for generation in spent:
            credits_refund(
                business=business,
                amount=1,
                key=f"refund:{generation.id}",
                actor=actor,
                note="Batch refused: not enough credits",
            )
        Generation.objects.filter(batch=batch).update(
            status=GenerationStatus.REFUSED,
            error_message="Not enough credits for the whole batch.",
            finished_at=timezone.now(),
        )
        raise _credits_missing_error(needed=len(generations), have=_credits_of(business)) from None


# --- run ------------------------------------------------------------------------------


def _claim(generation_id: str) -> Generation | None:
    """queued → running (or a stale running job taken over); None when not ours."""
    now = timezone.now()
    claimed = Generation.objects.filter(pk=generation_id, status=GenerationStatus.QUEUED).update(
        status=GenerationStatus.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        # A worker that died mid-job left it "running": take it over once it is stale.
        # Matching the old startedAt makes the take-over itself a compare-and-set.
        stale = (
            Generation.objects.filter(
                pk=generation_id,
                status=GenerationStatus.RUNNING,
                started_at__lt=now - STALE_RUNNING_AFTER,
            )
            .values_list("started_at", flat=True)
            .first()
        )
        if stale is None:
            return None
        claimed = Generation.objects.filter(
            pk=generation_id, status=GenerationStatus.RUNNING, started_at=stale
        ).update(started_at=now, attempts=F("attempts") + 1)
        if not claimed:
            return None
    return Generation.objects.select_related("avatar", "user").get(pk=generation_id)


def _finish(generation: Generation, *, status: str, error: str = "", **fields: Any) -> bool:
    """running → terminal, only if this worker still owns the job (same attempt)."""
    moved = Generation.objects.filter(
        pk=generation.pk,
        status=GenerationStatus.RUNNING,
        attempts=generation.attempts,
    ).update(status=status, error_message=error[:500], finished_at=timezone.now(), **fields)
    return bool(moved)


def _retry_later(generation: Generation, *, message: str, engine: str) -> bool:
    """running → queued again after a passing engine error (rate limit, time-out).

    The credit stays spent: the job is still going to run. Returns False when this
    worker no longer owns the job.
    """
    moved = Generation.objects.filter(
        pk=generation.pk, status=GenerationStatus.RUNNING, attempts=generation.attempts
    ).update(
        status=GenerationStatus.QUEUED,
        error_message=f"Retrying: {message}"[:500],
        engine=engine,
    )
    if not moved:
        return False
    delay = RETRY_BACKOFF * generation.attempts
    transaction.on_commit(lambda: enqueue_generations([generation.pk], delay=delay))
    return True


def _spend_applied(generation_id: str) -> bool:
    """Whether this job's credit was taken (its ``spend:<id>`` ledger row is applied).

    On MongoDB a ``generation_create`` that failed half-way leaves generation rows
    without a spend (``atomic()`` rolls nothing back): such a job must neither run
    for free nor be "refunded" a credit it never cost.
    """

    return CreditLedgerEntry.objects.filter(
        key=f"spend:{generation_id}", state=LedgerState.APPLIED
    ).exists()


def generation_settle(*, generation_id: str) -> None:
    """Refund a failed/refused job, pay the royalty of a succeeded human-model job.

    Keyed by generation: calling it any number of times moves money at most once.
    Only a credit that was spent is refunded.
    """

    generation = Generation.objects.select_related("user").get(pk=generation_id)
    if generation.status in REFUNDED_STATUSES and _spend_applied(generation.id):
        business = BusinessProfile.objects.get(user_id=generation.user_id)
        credits_refund(
            business=business,
            amount=1,
            key=f"refund:{generation.id}",
            note=f"Generation {generation.status}",
        )
    elif (
        generation.status == GenerationStatus.SUCCEEDED
        and generation.model_type == ModelType.HUMAN_MODEL
        and generation.model_id
    ):
        royalty_credit(generation=generation)


def royalty_credit(*, generation: Generation) -> RoyaltyLedger:
    """$1.00 to the model for one succeeded generation, once (key ``royalty:<id>``).

    The ledger row is written first: its unique key is the claim. Then the balance
    moves by one conditional single-document update. If a process died between
    the two on MongoDB, the ledger shows a royalty the cached balance lacks (the
    model is never paid twice; check_ledgers reports the gap); on SQL both are
    in one transaction.
    """
    key = f"royalty:{generation.id}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                entry = RoyaltyLedger.objects.create(
                    key=key,
                    model_id=generation.model_id,
                    business_id=generation.user_id,
                    generation=generation,
                    amount=ROYALTY_PER_GENERATION,
                )
        except IntegrityError:
            return RoyaltyLedger.objects.get(key=key)
        balance = add_and_read(
            ModelProfile,
            match={"user_id": generation.model_id},
            field="royalty_balance",
            delta=ROYALTY_PER_GENERATION,
        )
        if balance is None:
            raise RuntimeError(f"No model profile for user {generation.model_id}")
        RoyaltyLedger.objects.filter(pk=entry.pk).update(balance_after=balance)
        entry.balance_after = balance
    return entry


def _recheck(generation: Generation) -> _Clearance:
    """The checks of generation_create, again, at the moment the job runs."""
    if generation.model_type == ModelType.AI_AVATAR:
        if generation.avatar is None or not generation.avatar.is_active:
            raise DomainError(MSG_AVATAR_INACTIVE, code=GenerationCode.AVATAR_INACTIVE)
        return _Clearance(model_type=ModelType.AI_AVATAR, avatar=generation.avatar)
    business = BusinessProfile.objects.select_related("package").get(user_id=generation.user_id)
    return _check_human_model(
        business=business,
        model_user_id=generation.model_id,
        category=generation.garment_category,
    )


def _wearer_jpeg(generation: Generation) -> bytes:

    key: str | None
    if generation.model_type == ModelType.AI_AVATAR:
        key = generation.avatar.s3_url if generation.avatar else ""
        if not is_avatar_key(key):
            # Only an uploaded avatar image: never another stored file (a model's likeness).
            raise DomainError(MSG_AVATAR_INACTIVE, code=GenerationCode.AVATAR_INACTIVE)
    else:
        key = model_reference_image_key(model_user_id=generation.model_id)
    if not key:
        raise DomainError(MSG_NO_REFERENCE, code=GenerationCode.NO_REFERENCE)
    return read_private(key)


def _checked_thumbnail(jpeg: bytes) -> bytes:
    """Refuse garbage bytes from an engine before they reach storage; the thumbnail of
    good ones, from the same (single) decode."""
    try:
        with Image.open(io.BytesIO(jpeg)) as opened:
            if opened.format != "JPEG":
                raise DomainError(MSG_BAD_OUTPUT, code=GenerationCode.BAD_OUTPUT)
            # Decoded at the smallest DCT scale still ≥ the thumbnail: every scan's
            # entropy-coded data is still read, so truncated or corrupt data raises.
            opened.draft(
                "RGB", (THUMBNAIL_WIDTH, round(THUMBNAIL_WIDTH * opened.height / opened.width))
            )
            opened.load()
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise DomainError(MSG_BAD_OUTPUT, code=GenerationCode.BAD_OUTPUT) from None
    height = round(image.height * THUMBNAIL_WIDTH / image.width)
    small = image.resize(
        (THUMBNAIL_WIDTH, max(height, 1)), Image.Resampling.LANCZOS, reducing_gap=3.0
    )
    out = io.BytesIO()
    small.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def _sign(
    jpeg: bytes,
    *,
    generation: Generation,
    clearance: _Clearance,
    source: str,
    engine: str,
    licence: LicenceRecord | None = None,
) -> bytes:

    human = clearance.model_type == ModelType.HUMAN_MODEL
    return sign_output(
        jpeg,
        info=ProvenanceInfo(
            generation_id=str(generation.id),
            wearer_type=clearance.model_type,
            digital_source_type=source,
            consent_request_id=clearance.consent_request_id if human else None,
            release_version=(clearance.release_version or None) if human else None,
            usage_limits=list(clearance.usage_limits) if human else None,
            engine_name=engine,
            licence_record_id=str(licence.pk) if licence else None,
            licence_record_sha256=licence.sha256 if licence else None,
        ),
    )


def generation_run(*, generation_id: str) -> str:
    """The job: claim, re-check, generate, store, settle. Returns the final status.

    Safe to call any number of times for the same id (retries, duplicate delivery).
    """

    generation = _claim(generation_id)
    if generation is None:
        return _status_of_unclaimed(generation_id)
    checked = _check_before_running(generation)
    if isinstance(checked, str):
        return checked
    attempt = _Attempt(engine_name=settings.GENERATION_ENGINE)
    try:
        made = _make_output(generation, clearance=checked, attempt=attempt)
    except (EngineError, DomainError, FileNotFoundError) as exc:
        _delete_files(attempt.stored)
        return _after_failure(generation, exc, engine_name=attempt.engine_name)
    except Exception:
        # A bug or an outage we did not foresee: fail the job and give the credit back
        # rather than leave it running until the stale sweep.
        logger.exception("Generation %s crashed", generation_id)
        _delete_files(attempt.stored)
        return _end(generation, GenerationStatus.FAILED, MSG_ENGINE_FAILED, attempt.engine_name)
    return _succeed(generation, made, stored=attempt.stored)


@dataclass
class _Attempt:
    """What one run has done so far, for the failure path to undo."""

    engine_name: str
    stored: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Made:
    output_key: str
    thumbnail_key: str
    engine_name: str


def _status_of_unclaimed(generation_id: str) -> str:
    """Another worker has it, or it is finished: then make sure it was settled (keyed)."""
    status = Generation.objects.filter(pk=generation_id).values_list("status", flat=True).first()
    if status is not None and status not in {GenerationStatus.QUEUED, GenerationStatus.RUNNING}:
        generation_settle(generation_id=generation_id)
    return status or "missing"


def _check_before_running(generation: Generation) -> _Clearance | str:
    """The clearance to run with, or the final status of a job that must not run."""
    if not _spend_applied(generation.id):
        _finish(generation, status=GenerationStatus.REFUSED, error=MSG_UNPAID)
        return GenerationStatus.REFUSED
    if generation.attempts > MAX_ATTEMPTS:
        return _end(generation, GenerationStatus.FAILED, MSG_GAVE_UP.format(attempts=MAX_ATTEMPTS))
    try:
        return _recheck(generation)
    except DomainError as exc:
        return _end(generation, GenerationStatus.REFUSED, exc.message)


def _make_output(generation: Generation, *, clearance: _Clearance, attempt: _Attempt) -> _Made:
    """Engine → checked, signed output and thumbnail in storage; consent checked again."""

    engine = get_engine()
    attempt.engine_name = getattr(engine, "name", attempt.engine_name)
    result = engine.generate(
        EngineRequest(
            generation_id=str(generation.id),
            garment_jpeg=read_private(generation.product_image_key),
            wearer_jpeg=_wearer_jpeg(generation),
            category=generation.garment_category,
        )
    )
    # The output is checked (and its thumbnail made) before anything is recorded.
    signed = {"output": result.image_jpeg, "thumbnail": _checked_thumbnail(result.image_jpeg)}
    # Written before signing: the manifest names the record by id and hash.
    licence = licence_record_ensure(generation=generation)
    for part, jpeg in signed.items():
        signed[part] = _sign(
            jpeg,
            generation=generation,
            clearance=clearance,
            source=result.digital_source_type,
            engine=result.engine_name,
            licence=licence,
        )
    output_key = save_private(prefix="generations/outputs", content=signed["output"])
    attempt.stored.append(output_key)
    thumbnail_key = save_private(prefix="generations/thumbnails", content=signed["thumbnail"])
    attempt.stored.append(thumbnail_key)
    # Consent may have been revoked while the engine worked: check once more.
    _recheck(generation)
    return _Made(output_key, thumbnail_key, result.engine_name)


def _after_failure(generation: Generation, exc: Exception, *, engine_name: str) -> str:
    """A passing engine error runs again later; a refusal or failure ends and settles."""

    if (
        isinstance(exc, EngineError)
        and exc.retryable
        and generation.attempts < MAX_ATTEMPTS
        and _retry_later(generation, message=exc.user_message, engine=engine_name)
    ):
        return GenerationStatus.QUEUED
    if isinstance(exc, DomainError):
        refused = exc.code != GenerationCode.BAD_OUTPUT
        message = exc.message
    elif isinstance(exc, EngineError):
        refused, message = False, exc.user_message or MSG_ENGINE_FAILED
    else:
        refused, message = False, MSG_ENGINE_FAILED
    status = GenerationStatus.REFUSED if refused else GenerationStatus.FAILED
    return _end(generation, status, message, engine_name)


def _end(generation: Generation, status: str, error: str, engine_name: str | None = None) -> str:
    """Finish the job as refused or failed, then settle it (refund; keyed, so once)."""
    fields = {"engine": engine_name} if engine_name is not None else {}
    _finish(generation, status=status, error=error, **fields)
    generation_settle(generation_id=generation.pk)
    return status


def _succeed(generation: Generation, made: _Made, *, stored: list[str]) -> str:
    human = generation.model_type == ModelType.HUMAN_MODEL
    finished = _finish(
        generation,
        status=GenerationStatus.SUCCEEDED,
        error="",
        output_s3_url=made.output_key,
        thumbnail_s3_url=made.thumbnail_key,
        engine=made.engine_name,
        royalty_paid=ROYALTY_PER_GENERATION if human else Decimal("0.00"),
    )
    if not finished:
        # Someone else settled this job meanwhile (refused on revocation, taken over):
        # our files are orphans.
        _delete_files(stored)
        return str(Generation.objects.values_list("status", flat=True).get(pk=generation.pk))
    generation_settle(generation_id=generation.pk)
    return GenerationStatus.SUCCEEDED


def generations_refuse_queued_for_pair(
    *, business_user_id: str, model_user_id: str, actor: User | None = None
) -> int:
    """Consent revoked: refuse (and refund) every job of this pair that has not run yet.

    Jobs already running re-check consent before they finish. Returns how many were
    refused. (Jobs also re-check when they run, so this only makes it immediate.)
    """
    return _refuse_queued(
        Generation.objects.filter(user_id=business_user_id, model_id=model_user_id)
    )


def generations_refuse_queued_for_model(*, model_user_id: str, actor: User | None = None) -> int:
    """Release withdrawn (or account closed): refuse every queued job using this likeness."""
    return _refuse_queued(Generation.objects.filter(model_id=model_user_id))


def generations_refuse_after_likeness_ended(event: LikenessEnded) -> int:
    """Listener of ``marketplace.hooks``: a consent ended, its queued jobs are refused."""
    if event.business_user_id is None:
        return generations_refuse_queued_for_model(model_user_id=event.model_user_id)
    return generations_refuse_queued_for_pair(
        business_user_id=event.business_user_id, model_user_id=event.model_user_id
    )


def _refuse_queued(scope: QuerySet[Generation]) -> int:
    refused = 0
    queued = scope.filter(status=GenerationStatus.QUEUED).values_list("pk", flat=True)
    for generation_id in list(queued):
        moved = Generation.objects.filter(pk=generation_id, status=GenerationStatus.QUEUED).update(
            status=GenerationStatus.REFUSED,
            error_message=MSG_REVOKED_WHILE_QUEUED,
            finished_at=timezone.now(),
        )
        if moved:
            refused += 1
            generation_settle(generation_id=generation_id)
    return refused


def generations_requeue_stale(*, now: Any = None) -> int:
    """Enqueue again the jobs whose queue message was lost or whose worker died.

    Safe to run at any time (the task's claim makes extra deliveries harmless).
    """
    now = now or timezone.now()
    stale_queued = Generation.objects.filter(
        status=GenerationStatus.QUEUED, created_at__lt=now - STALE_QUEUED_AFTER
    ).values_list("pk", flat=True)
    stale_running = Generation.objects.filter(
        status=GenerationStatus.RUNNING, started_at__lt=now - STALE_RUNNING_AFTER
    ).values_list("pk", flat=True)
    enqueued = enqueue_generations([*stale_queued, *stale_running])
    generations_settle_unsettled(now=now)
    return enqueued


def generations_settle_unsettled(*, now: Any = None) -> int:
    """Settle finished jobs whose worker died between finishing and settling.

    Such a job is terminal, so no sweep above enqueues it again: without this its
    refund (failed/refused) or its $1.00 royalty (succeeded, human model) would be
    lost. Looks back SETTLE_LOOKBACK; settling is keyed, so it moves money at most
    once. Returns how many jobs were settled.
    """

    now = now or timezone.now()
    window = {"finished_at__gte": now - SETTLE_LOOKBACK, "finished_at__lt": now - SETTLE_GRACE}
    succeeded = set(
        Generation.objects.filter(
            status=GenerationStatus.SUCCEEDED, model_type=ModelType.HUMAN_MODEL, **window
        ).values_list("pk", flat=True)
    )
    paid = set(
        RoyaltyLedger.objects.filter(generation_id__in=list(succeeded)).values_list(
            "generation_id", flat=True
        )
    )
    refundable = set(
        Generation.objects.filter(status__in=list(REFUNDED_STATUSES), **window).values_list(
            "pk", flat=True
        )
    )
    refunded = {
        key.split(":", 1)[1]
        for key in CreditLedgerEntry.objects.filter(
            key__in=[f"refund:{pk}" for pk in refundable], state=LedgerState.APPLIED
        ).values_list("key", flat=True)
    }
    unsettled = (succeeded - paid) | (refundable - refunded)
    for generation_id in unsettled:
        generation_settle(generation_id=generation_id)
    return len(unsettled)


# --- misuse reports and take-down ----------------------------------------------------------


def generation_report_misuse(*, generation: Generation, actor: User, reason: str) -> Generation:
    """The model whose likeness was used freezes the output until an admin reviews it.

    Idempotent: while a report awaits review, reporting again (a double click, a second
    tab, a race) changes nothing: the first reason stays and the trail gets one row.
    """
    if generation.model_id != actor.pk:
        raise DomainError(MSG_NOT_YOURS, code=GenerationCode.NOT_YOURS)
    if generation.status == GenerationStatus.TAKEN_DOWN:
        raise DomainError(MSG_ALREADY_TAKEN_DOWN, code=GenerationCode.TAKEN_DOWN)
    try:
        reason = clean_prose(reason, label="reason", field="reason", max_length=1000)
    except DomainError as error:
        raise DomainError(error.message, code=GenerationCode.NO_REASON, field="reason") from None
    # The conditional update is the guard: only the report that froze the image counts.
    reported = Generation.objects.filter(pk=generation.pk, is_frozen=False).update(
        is_frozen=True, reported_at=timezone.now(), report_reason=reason
    )
    generation.refresh_from_db()
    if reported:
        _trail(generation, ConsentEventType.PHOTO_REPORTED, actor, {"reason": reason[:200]})
    return generation


def generation_release(*, generation: Generation, actor: User) -> Generation:
    """Admin: the report was reviewed and the output may be downloaded again."""
    if not actor.is_platform_admin:
        raise DomainError(
            "Only an admin can release a reported image.", code=GenerationCode.NOT_ADMIN
        )
    Generation.objects.filter(pk=generation.pk).update(is_frozen=False)
    generation.refresh_from_db()
    _trail(generation, ConsentEventType.PHOTO_RELEASED, actor)
    return generation


def generation_take_down(*, generation: Generation, actor: User) -> Generation:
    """Admin: delete the files and mark the generation taken down, for both sides to see.

    Credits and royalties already settled stay as they are: the image was made with a
    consent that was valid when it ran, and a take-down usually follows the model's own
    misuse report — taking the $1.00 back would charge the person whose likeness was
    misused. The royalty line stays in the ledger, marked "taken down, royalty kept",
    and is paid out like any other (README, "Royalties of taken-down images").
    """

    if not actor.is_platform_admin:
        raise DomainError("Only an admin can take an image down.", code=GenerationCode.NOT_ADMIN)
    if generation.status in {GenerationStatus.QUEUED, GenerationStatus.RUNNING}:
        # Its credit is not settled yet; the job itself refunds or finishes it.
        raise DomainError(
            "This job has not finished yet; try again shortly.", code=GenerationCode.RUNNING
        )
    keys = [key for key in (generation.output_s3_url, generation.thumbnail_s3_url) if key]
    Generation.objects.filter(pk=generation.pk).update(
        status=GenerationStatus.TAKEN_DOWN,
        output_s3_url="",
        thumbnail_s3_url="",
        is_frozen=False,
        error_message="Taken down after review.",
    )
    generation.refresh_from_db()
    _trail(generation, ConsentEventType.PHOTO_TAKEN_DOWN, actor)

    # The files go once every write above is committed (never a "succeeded" row
    # pointing at deleted files). Registered last: in Mongo mode on_commit runs at once.
    def delete_files() -> None:
        for key in keys:
            delete_private(key)

    transaction.on_commit(delete_files)
    return generation


def _trail(
    generation: Generation, event_type: int, actor: User, detail: dict[str, Any] | None = None
) -> None:
    """Review steps of a human-model generation appear in the model's audit trail."""

    logger.info("Generation %s: event %s by %s", generation.pk, event_type, actor.pk)
    if generation.model_id is None:
        return
    likeness_use_event_record(
        model_user_id=generation.model_id,
        business_user_id=generation.user_id,
        consent_request_id=generation.consent_request_id,
        generation_id=generation.pk,
        event_type=event_type,
        actor=actor,
        detail=detail,
    )
