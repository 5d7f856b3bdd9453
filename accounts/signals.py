"""Keep the API's cached tokens true to the database (see ``accounts.tokens``)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts import tokens
from accounts.models import ApiToken, Organization, Sender


@receiver(post_save, sender=ApiToken)
def token_saved(sender, instance: ApiToken, created: bool, **kwargs) -> None:
    if instance.revoked_at is not None:
        tokens.end_tokens([instance.key_hash])
    elif not created:
        tokens.forget_organization(instance.organization_id)


@receiver(post_delete, sender=ApiToken)
def token_deleted(sender, instance: ApiToken, **kwargs) -> None:
    tokens.end_tokens([instance.key_hash])


@receiver(post_save, sender=Organization)
def organization_saved(sender, instance: Organization, created: bool, **kwargs) -> None:
    if not created:
        tokens.forget_organization(instance.pk)


@receiver(post_save, sender=Sender)
@receiver(post_delete, sender=Sender)
def sender_changed(sender, instance: Sender, **kwargs) -> None:
    tokens.forget_organization(instance.organization_id)
