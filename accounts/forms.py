from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.forms import SignupForm
from allauth.socialaccount.forms import SignupForm as SocialSignupForm
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

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

    def try_save(self, request):
        if self.account_already_exists:
            # A new account costs a password hash; without the same work here an
            # existing address answered ~8x faster and the timing told who has an account.
            make_password(self.cleaned_data.get("password1") or "")
        return super().try_save(request)


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


MSG_ADMIN_TOO_MANY = "Too many failed sign-in attempts. Try again in a few minutes."


class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """The admin sign-in, authenticated through allauth's adapter so it shares the
    ``login_failed`` limits of /accounts/login/ (per IP and per email): without it,
    /admin/login/ accepted any number of guesses."""

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = get_adapter(self.request).authenticate(
                    self.request, email=email, password=password
                )
            except ValidationError:
                # allauth refuses before checking the password: the right one too.
                raise ValidationError(MSG_ADMIN_TOO_MANY, code="too_many") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


# The onboarding step asks only for the name.
OnboardingForm = NameForm
