"""Licence records: one per human-model output, written before the output is signed.

The record answers what a digital-replica consent must show (New York's Fashion Workers
Act): who the parties are, what the model consented to (categories, end date, the intended
use the business gave), under which release text (version and SHA-256), what the model is
paid ($1.00 per generation) and when each step happened. ``document`` is canonical JSON;
its SHA-256 goes into the C2PA manifest, so anyone holding the image can check the record
they were handed is the one the image was made under.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import BusinessProfile, ModelProfile
from generations.models import ROYALTY_PER_GENERATION, Generation, LicenceRecord, ModelType
from marketplace.models import ReleaseSignature

LICENCE_SCHEMA = "com.modelsnapper.licence/1"


def canonical_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_sha256(document_text: str) -> str:
    return hashlib.sha256(document_text.encode("utf-8")).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _signature(generation: Generation) -> ReleaseSignature | None:
    """The model's signature of the release version the generation was cleared under."""
    signatures = ReleaseSignature.objects.filter(model_id=generation.model_id).order_by(
        "-signed_at"
    )
    version = generation.release_version
    if version and version.isdigit():
        matching = signatures.filter(release_version=int(version)).first()
        if matching is not None:
            return matching
    return signatures.first()


def _document(generation: Generation, *, record_id: str, issued_at: datetime) -> dict[str, Any]:
    consent = generation.consent_request
    business = BusinessProfile.objects.filter(user_id=generation.user_id).first()
    model = ModelProfile.objects.filter(user_id=generation.model_id).first()
    signature = _signature(generation)
    return {
        "schema": LICENCE_SCHEMA,
        "licenceId": record_id,
        "generationId": str(generation.pk),
        "issuedAt": _iso(issued_at),
        "parties": {
            "business": {
                "id": str(generation.user_id),
                "name": business.business_name if business else "",
            },
            "model": {
                "id": str(generation.model_id),
                "displayName": model.name if model else "",
                "legalName": signature.legal_name if signature else "",
            },
            "platform": {"name": "ModelSnapper"},
        },
        "consent": {
            "consentRequestId": str(consent.pk) if consent else None,
            "status": consent.status if consent else None,
            "requestedAt": _iso(consent.requested_at) if consent else None,
            "approvedAt": _iso(consent.decided_at) if consent else None,
            "expiresAt": _iso(consent.expires_at) if consent else None,
            "allowedCategories": list(consent.allowed_categories) if consent else [],
            "intendedUse": consent.intended_use if consent else "",
            "revocable": True,
        },
        "use": {
            "garmentCategory": generation.garment_category,
            "aiGenerated": True,
        },
        "release": {
            "version": generation.release_version or None,
            "textSha256": signature.text_sha256 if signature else None,
            "signedAt": _iso(signature.signed_at) if signature else None,
        },
        "pay": {
            "royaltyPerGeneration": str(ROYALTY_PER_GENERATION),
            "currency": "USD",
            "payee": "model",
        },
        "times": {
            "generationCreatedAt": _iso(generation.created_at),
            "issuedAt": _iso(issued_at),
        },
    }


def licence_record_ensure(*, generation: Generation) -> LicenceRecord | None:
    """The generation's licence record, written once (a retried job reuses it); None for an
    AI avatar. Keyed by the unique ``generationId``: two workers racing write one."""
    if generation.model_type != ModelType.HUMAN_MODEL or not generation.model_id:
        return None
    existing = LicenceRecord.objects.filter(generation_id=generation.pk).first()
    if existing is not None:
        return existing
    record = LicenceRecord(generation=generation, created_at=timezone.now())
    text = canonical_json(
        _document(generation, record_id=str(record.pk), issued_at=record.created_at)
    )
    record.document, record.sha256 = text, document_sha256(text)
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except IntegrityError:
        return LicenceRecord.objects.get(generation_id=generation.pk)
    return record


def licence_document(record: LicenceRecord) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(record.document)
    return parsed
