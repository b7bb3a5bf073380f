"""Factories for generations' collections (raw rows; jobs and royalties go through services)."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import factory

from accounts.models import Role
from accounts.tests.factories import UserFactory
from generations.models import (
    Generation,
    GenerationBatch,
    GenerationStatus,
    LicenceRecord,
    ModelType,
    RoyaltyLedger,
)


class GenerationBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GenerationBatch

    user = factory.SubFactory(UserFactory, role=Role.BUSINESS)
    idempotency_key = factory.Sequence(lambda n: f"batch-{n}")


class GenerationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Generation

    user = factory.SubFactory(UserFactory, role=Role.BUSINESS)
    model = None
    model_type = ModelType.AI_AVATAR
    status = GenerationStatus.QUEUED
    garment_category = "top"


class HumanModelGenerationFactory(GenerationFactory):
    model = factory.SubFactory(UserFactory, role=Role.MODEL)
    model_type = ModelType.HUMAN_MODEL


class RoyaltyLedgerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoyaltyLedger

    generation = factory.SubFactory(HumanModelGenerationFactory)
    key = factory.LazyAttribute(lambda o: f"royalty:{o.generation.pk}")
    model = factory.SelfAttribute("generation.model")
    business = factory.SelfAttribute("generation.user")
    amount = Decimal("1.00")


class LicenceRecordFactory(factory.django.DjangoModelFactory):
    """A raw row; real records come from generations.licence.licence_record_ensure."""

    class Meta:
        model = LicenceRecord

    generation = factory.SubFactory(HumanModelGenerationFactory)
    document = factory.LazyAttribute(lambda o: f'{{"generationId":"{o.generation.pk}"}}')
    sha256 = factory.LazyAttribute(lambda o: hashlib.sha256(o.document.encode()).hexdigest())
