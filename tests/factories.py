"""factory_boy factories shared by every test module."""

import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership, Organization, Role, Sender, SenderKind, Subaccount


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    country = "US"
    time_zone = "America/Los_Angeles"


class SubaccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subaccount

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class SenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sender

    organization = factory.SubFactory(OrganizationFactory)
    kind = SenderKind.SMS_SHORT_CODE
    address = factory.Sequence(lambda n: f"{52000 + n}")
    name = factory.Sequence(lambda n: f"Sender {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("test-password")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.AGENT
