from __future__ import annotations

from allauth.account.forms import SignupForm
from allauth.socialaccount.forms import SignupForm as SocialSignupForm
from django import forms

from accounts.models import Role
from accounts.services import MAX_NAME_LENGTH

ROLE_CHOICES = [
    (Role.BUSINESS, "I run a business — I want on-model photos of my products"),
    (Role.MODEL, "I am a model — I want to license my likeness"),
]


class RoleSignupForm(SignupForm):
    role = forms.ChoiceField(
        choices=ROLE_CHOICES, widget=forms.RadioSelect, label="I am signing up as"
    )

    field_order = ["role", "email", "password1", "password2"]


class RoleSocialSignupForm(SocialSignupForm):
    role = forms.ChoiceField(
        choices=ROLE_CHOICES, widget=forms.RadioSelect, label="I am signing up as"
    )


class NameForm(forms.Form):
    """The business or display name (onboarding, then the settings page)."""

    name = forms.CharField(max_length=MAX_NAME_LENGTH, strip=True)

    def __init__(self, *args, role: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if role == Role.BUSINESS:
            self.fields["name"].label = "Business name"
            self.fields["name"].help_text = "Shown to the models you ask for consent."
        else:
            self.fields["name"].label = "Display name"
            self.fields["name"].help_text = "Shown to businesses in the model directory."


# The onboarding step asks only for the name.
OnboardingForm = NameForm
