"""The seed's collections, transcribed from seed/modelsnapper-schemas.md (a contract).

Used by the SQLite schema test and the Mongo document test.
"""

from __future__ import annotations

from datetime import datetime

from bson import Decimal128, ObjectId

# collection: {field: (seed type, seed indexing)}; indexing is "", "Default" (the
# primary key), "Unique", "Single" or "Compound".
SEED = {
    "users": {
        "_id": ("ObjectId", "Default"),
        "clerkId": ("String", "Unique"),
        "email": ("String", "Unique"),
        "role": ("String", "Single"),
        "createdAt": ("Date", ""),
    },
    "business_profiles": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Unique"),
        "businessName": ("String", ""),
        "aiCredits": ("Number", ""),
        "subscriptionStatus": ("String", ""),
        "approvedModels": ("Array<ObjectId>", ""),
        "stripeCustomerId": ("String", "Single"),
        "packageId": ("ObjectId", ""),
    },
    "model_profiles": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Unique"),
        "name": ("String", ""),
        "royaltyBalance": ("Number", ""),
        "referenceImages": ("Array<String>", ""),
        "approvedBusinesses": ("Array<ObjectId>", ""),
        "consentSigned": ("Boolean", ""),
    },
    "consent_requests": {
        "_id": ("ObjectId", "Default"),
        "businessId": ("ObjectId", "Compound"),
        "modelId": ("ObjectId", "Compound"),
        "status": ("String", "Compound"),
        "requestedAt": ("Date", "Single"),
    },
    "generations": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Compound"),
        "modelId": ("ObjectId", "Compound"),
        "modelType": ("String", ""),
        "outputS3Url": ("String", ""),
        "royaltyPaid": ("Number", ""),
        "generatedAt": ("Date", "Compound"),
    },
    "packages": {
        "_id": ("ObjectId", "Default"),
        "stripePriceId": ("String", "Unique"),
        "name": ("String", ""),
        "aiCreditsGranted": ("Number", ""),
        "humanModelAccess": ("Boolean", ""),
        "isActive": ("Boolean", "Single"),
    },
    "ai_avatars": {
        "_id": ("ObjectId", "Default"),
        "name": ("String", ""),
        "s3Url": ("String", ""),
        "isActive": ("Boolean", "Single"),
    },
    "invoices": {
        "_id": ("ObjectId", "Default"),
        "userId": ("ObjectId", "Single"),
        "stripeInvoiceId": ("String", "Unique"),
        "invoiceNumber": ("String", "Single"),
        "amountDue": ("Number", ""),
        "currency": ("String", ""),
        "status": ("String", "Single"),
        "pdfUrl": ("String", ""),
        "hostedInvoiceUrl": ("String", ""),
        "periodStart": ("Date", ""),
        "periodEnd": ("Date", ""),
        "lineItems": ("Array (Embedded)", ""),
        "paidAt": ("Date", ""),
    },
}

# The seed's combined indexes: (collection, [(column, order)], unique).
SEED_COMPOUND = [
    # One document per pair: the product relies on it, so it is unique.
    ("consent_requests", [("businessId", "ASC"), ("modelId", "ASC")], True),
    ("generations", [("userId", "ASC"), ("generatedAt", "DESC")], False),
    ("generations", [("modelId", "ASC"), ("generatedAt", "DESC")], False),
]

# Seed references: (collection, column) → (referenced collection, column).
SEED_REFERENCES = {
    ("business_profiles", "userId"): ("users", "_id"),
    ("business_profiles", "packageId"): ("packages", "_id"),
    ("model_profiles", "userId"): ("users", "_id"),
    ("consent_requests", "businessId"): ("users", "_id"),
    ("consent_requests", "modelId"): ("users", "_id"),
    ("generations", "userId"): ("users", "_id"),
    ("generations", "modelId"): ("users", "_id"),
    ("invoices", "userId"): ("users", "_id"),
}


def seed_instances(OID: str, OTHER_OID: str) -> dict:
    """One unsaved object per seed collection, every seed field given a value."""
    from django.utils import timezone

    from accounts.models import BusinessProfile, ModelProfile, User
    from billing.models import Invoice, Package
    from generations.models import Generation
    from marketplace.models import AIAvatar, ConsentRequest

    now = timezone.now()
    return {
        "users": User(email="mia@models.test", role="MODEL", clerk_id="user_1"),
        "business_profiles": BusinessProfile(
            user_id=OID,
            business_name="Alice Boutique",
            stripe_customer_id="cus_1",
            package_id=OTHER_OID,
            approved_models=[OTHER_OID],
        ),
        "model_profiles": ModelProfile(
            user_id=OID, name="Mia", reference_images=["a.jpg"], approved_businesses=[OID]
        ),
        "consent_requests": ConsentRequest(business_id=OID, model_id=OTHER_OID),
        "generations": Generation(user_id=OID, model_id=OTHER_OID, model_type="HUMAN_MODEL"),
        "packages": Package(stripe_price_id="price_1", name="STARTER TIER", ai_credits_granted=10),
        "ai_avatars": AIAvatar(name="AI Model Sophia", s3_url="avatars/sophia.png"),
        "invoices": Invoice(
            user_id=OID,
            stripe_invoice_id="in_1",
            invoice_number="MS-0001",
            period_start=now,
            period_end=now,
            paid_at=now,
            line_items=[{"description": "Starter", "amount": 4900}],
        ),
    }


BSON_TYPES = {  # seed type → the BSON values MongoDB may hold for it (decoded by pymongo)
    "ObjectId": (ObjectId,),
    "String": (str,),
    "Number": (int, Decimal128),  # int includes bson.Int64; never float
    "Boolean": (bool,),
    "Date": (datetime,),
    "Array<ObjectId>": (list,),
    "Array<String>": (list,),
    "Array (Embedded)": (list,),
}
