"""Every concrete model of the four apps has a factory that saves a valid row."""

from __future__ import annotations

import importlib
import inspect

import factory
import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db

APPS = ("accounts", "marketplace", "billing", "generations")


def _factories() -> dict[type, type]:
    found = {}
    for app in APPS:
        module = importlib.import_module(f"{app}.tests.factories")
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, factory.django.DjangoModelFactory) and value._meta.model:
                found.setdefault(value._meta.model, value)
    return found


def _models() -> list[type]:
    return [
        model
        for app in APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.proxy
    ]


def test_every_model_has_a_factory():
    missing = [model.__name__ for model in _models() if model not in _factories()]
    assert missing == []


@pytest.mark.parametrize("model", _models(), ids=lambda model: model.__name__)
def test_the_factory_saves_a_valid_row(model):
    instance = _factories()[model]()

    instance.full_clean(validate_unique=True)
    assert model.objects.filter(pk=instance.pk).exists()
    assert len(instance.pk) == 24
