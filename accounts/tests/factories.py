from __future__ import annotations

import factory

from accounts.models import BusinessProfile, ModelProfile, Role, User

TEST_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    role = Role.BUSINESS
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """Users from factories have a verified primary email, as after sign-up."""
        if not create:
            return
        from allauth.account.models import EmailAddress

        self.save()
        EmailAddress.objects.get_or_create(
            user=self, email=self.email, defaults={"verified": True, "primary": True}
        )


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class BusinessProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessProfile

    user = factory.SubFactory(UserFactory, role=Role.BUSINESS)
    business_name = factory.Sequence(lambda n: f"Boutique {n}")


class ModelProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelProfile

    user = factory.SubFactory(UserFactory, role=Role.MODEL)
    name = factory.Sequence(lambda n: f"Model {n}")
