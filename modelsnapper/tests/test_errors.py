"""DomainError carries its field; add_to_form is the one place it reaches a form."""

from __future__ import annotations

from django import forms

from marketplace.services import MarketplaceCode
from modelsnapper.errors import DomainError, add_to_form


class _NameForm(forms.Form):
    legal_name = forms.CharField()


def _bound() -> _NameForm:
    form = _NameForm({"legal_name": "x"})
    assert form.is_valid()
    return form


def test_a_refusal_about_a_field_is_shown_on_that_field():
    form = _bound()
    error = DomainError("Type your full name.", code=MarketplaceCode.NAME, field="legal_name")

    assert add_to_form(form, error)

    assert form.errors == {"legal_name": ["Type your full name."]}
    assert error.code == "name"  # a StrEnum member: equal to its value, named in code


def test_a_refusal_without_a_field_of_this_form_goes_above_it_or_back_to_the_caller():
    form = _bound()
    assert add_to_form(form, DomainError("Busy.", field="elsewhere"))
    assert form.non_field_errors() == ["Busy."]

    other = _bound()
    assert add_to_form(other, DomainError("Not yours."), or_non_field=False) is False
    assert other.errors == {}
