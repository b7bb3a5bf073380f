"""The MongoDB indexes every collection of our four apps must get, written out.

One entry per index ``migrate`` creates on MongoDB (django-mongodb-backend 5.2.4):
``ix((column, direction), ..., unique=..., partial=...)``. Field indexes
(``db_index=True``, every ForeignKey) are ascending single-key indexes;
``unique=True`` and ``UniqueConstraint`` become unique indexes whose
``partialFilterExpression`` requires each key to have the field's BSON type, so
documents where the field is missing or null never collide (``users.clerkId``).

A model that gains, loses or changes an index makes the MQL tests fail until
this table says so: the index list is reviewed, not discovered.
"""

from __future__ import annotations

from typing import Any


def ix(*key: tuple[str, int], unique: bool = False, partial: dict[str, Any] | None = None):
    return (tuple(key), unique, partial)


def _unique_on(**types: str) -> dict[str, dict[str, str]]:
    return {column: {"$type": bson_type} for column, bson_type in types.items()}


EXPECTED_INDEXES: dict[str, list[tuple]] = {
    # --- the seed's eight collections ------------------------------------------------
    "users": [
        # seed: clerkId Unique -- unique where present, any number of users without one.
        ix(("clerkId", 1), unique=True, partial=_unique_on(clerkId="string")),
        ix(("email", 1), unique=True, partial=_unique_on(email="string")),
        ix(("role", 1)),
    ],
    "business_profiles": [
        ix(("userId", 1), unique=True, partial=_unique_on(userId="objectId")),
        ix(("stripeCustomerId", 1)),
        ix(("packageId", 1)),  # ForeignKey to packages
    ],
    "model_profiles": [
        ix(("userId", 1), unique=True, partial=_unique_on(userId="objectId")),
        ix(("name", 1)),  # the directory's order
    ],
    "consent_requests": [
        ix(("businessId", 1), ("requestedAt", -1)),  # business consents, newest first
        ix(("modelId", 1), ("status", 1), ("requestedAt", -1)),  # inbox sections
        ix(("modelId", 1), ("requestedAt", -1)),  # inbox past section
        ix(("businessId", 1)),  # ForeignKey
        ix(("modelId", 1)),  # ForeignKey
        ix(("requestedAt", 1)),
        # seed: (businessId, modelId) -- one document per pair.
        ix(
            ("businessId", 1),
            ("modelId", 1),
            unique=True,
            partial=_unique_on(businessId="objectId", modelId="objectId"),
        ),
        ix(("businessId", 1), ("modelId", 1), ("status", 1)),
        ix(("modelId", 1), ("status", 1)),
    ],
    "generations": [
        ix(("userId", 1)),  # ForeignKey
        ix(("modelId", 1)),  # ForeignKey
        ix(("avatarId", 1)),  # ForeignKey
        ix(("batchId", 1)),  # ForeignKey
        ix(("consentRequestId", 1)),  # ForeignKey
        # seed: (userId, generatedAt) history and (modelId, generatedAt) royalties, newest first.
        ix(("userId", 1), ("generatedAt", -1)),
        ix(("modelId", 1), ("generatedAt", -1)),
        ix(("status", 1), ("startedAt", 1)),
    ],
    "packages": [
        ix(("stripePriceId", 1), unique=True, partial=_unique_on(stripePriceId="string")),
        ix(("isActive", 1)),
    ],
    "ai_avatars": [
        ix(("isActive", 1)),
    ],
    "invoices": [
        ix(("userId", 1)),
        ix(("stripeInvoiceId", 1), unique=True, partial=_unique_on(stripeInvoiceId="string")),
        ix(("invoiceNumber", 1)),
        ix(("status", 1)),
    ],
    # --- collections the product adds -----------------------------------------------
    "credit_ledger": [
        ix(("businessId", 1)),
        ix(("key", 1), unique=True, partial=_unique_on(key="string")),
        ix(("actorId", 1)),
        ix(("businessId", 1), ("createdAt", -1)),
        ix(("state", 1)),
    ],
    "checkout_sessions": [
        ix(("stripeSessionId", 1), unique=True, partial=_unique_on(stripeSessionId="string")),
        ix(("businessId", 1)),
        ix(("packageId", 1)),
        ix(("stripePaymentIntentId", 1)),
        ix(("businessId", 1), ("createdAt", -1)),
    ],
    "stripe_events": [
        ix(("stripeEventId", 1), unique=True, partial=_unique_on(stripeEventId="string")),
        ix(("type", 1)),
        ix(("state", 1)),
    ],
    "credit_reversals": [
        ix(("key", 1), unique=True, partial=_unique_on(key="string")),
        ix(("businessId", 1)),
        ix(("checkoutSessionId", 1)),
        ix(("stripeChargeId", 1)),
    ],
    "disputes": [
        ix(("stripeDisputeId", 1), unique=True, partial=_unique_on(stripeDisputeId="string")),
        ix(("stripeChargeId", 1)),
        ix(("businessId", 1)),
    ],
    "consent_events": [
        ix(("modelId", 1)),
        ix(("businessId", 1)),
        ix(("consentRequestId", 1)),
        ix(("actorId", 1)),
        ix(("modelId", 1), ("createdAt", -1)),
        ix(("businessId", 1), ("modelId", 1), ("createdAt", -1)),
    ],
    "likeness_releases": [
        ix(("version", 1), unique=True, partial=_unique_on(version="long")),
        ix(("createdBy", 1)),
    ],
    "likeness_settings": [
        ix(("modelId", 1), unique=True, partial=_unique_on(modelId="objectId")),
    ],
    "release_signatures": [
        ix(("modelId", 1)),
        ix(("releaseId", 1)),
        ix(
            ("modelId", 1),
            ("sequence", 1),
            unique=True,
            partial=_unique_on(modelId="objectId", sequence="long"),
        ),
        ix(("modelId", 1), ("signedAt", -1)),
    ],
    "generation_batches": [
        ix(("userId", 1)),
        ix(
            ("userId", 1),
            ("idempotencyKey", 1),
            unique=True,
            partial=_unique_on(userId="objectId", idempotencyKey="string"),
        ),
    ],
    "royalty_ledger": [
        ix(("key", 1), unique=True, partial=_unique_on(key="string")),
        ix(("modelId", 1)),
        ix(("businessId", 1)),
        ix(("generationId", 1)),
        ix(("modelId", 1), ("createdAt", -1)),
    ],
    # --- payouts -------------------------------------------------------------------
    "payout_accounts": [
        ix(("modelId", 1), unique=True, partial=_unique_on(modelId="objectId")),
        # One connected account per model, any number of models without one yet.
        ix(
            ("stripeAccountId", 1),
            unique=True,
            partial={"stripeAccountId": {"$gt": "", "$type": "string"}},
        ),
    ],
    "payout_ledger": [
        ix(("key", 1), unique=True, partial=_unique_on(key="string")),
        ix(("modelId", 1)),
        ix(("actorId", 1)),
        ix(("modelId", 1), ("createdAt", -1)),
        ix(("state", 1)),
    ],
    # One licence record per human-model output (the unique generationId).
    "licence_records": [
        ix(("generationId", 1), unique=True, partial=_unique_on(generationId="objectId")),
    ],
    # --- home: the operator-edited public pages -----------------------------------------
    "site_pages": [
        ix(("slug", 1), unique=True, partial=_unique_on(slug="string")),
        ix(("updatedBy", 1)),  # ForeignKey to users
    ],
}
