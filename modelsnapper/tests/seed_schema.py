"""The seed's collections, transcribed from seed/modelsnapper-schemas.md (a contract).

Used by the SQLite schema test and the Mongo document test.
"""

from __future__ import annotations

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
