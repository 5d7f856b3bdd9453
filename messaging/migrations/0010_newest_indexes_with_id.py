"""The newest-first indexes end with the id, as the pages' order does (``-requested_at,
-id``): a batch's messages share its request time, and without the id PostgreSQL read
and sorted the whole newest batch to show a page. Built before the old ones are
dropped, both CONCURRENTLY, so that no list is left without its index meanwhile."""

from django.db import migrations, models
from django.db.models.functions import Upper

from accounts.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
)


def newest_by_upper(field: str, direction: str, name: str) -> models.Index:
    # As messaging.models.newest_by_upper at this migration.
    return models.Index(
        models.F("organization"),
        Upper(field),
        models.F("requested_at").desc(),
        models.F("id").desc(),
        condition=models.Q(direction=direction) & ~models.Q(**{field: ""}),
        name=name,
    )


NEW = [
    models.Index(fields=["organization", "-requested_at", "-id"], name="message_org_newest_idx"),
    models.Index(fields=["sender", "-requested_at", "-id"], name="message_sender_newest_idx"),
    models.Index(
        fields=["organization", "-requested_at", "-id"],
        condition=models.Q(direction="inbound"),
        name="message_org_inbound_newest_idx",
    ),
    newest_by_upper("template", "outbound", "message_org_tpl_newest_idx"),
    newest_by_upper("label", "outbound", "message_org_label_newest_idx"),
    newest_by_upper("replied_template", "inbound", "message_replied_tpl_newest_idx"),
    newest_by_upper("replied_label", "inbound", "message_replied_lbl_newest_idx"),
]

OLD = [
    "message_org_requested_idx",
    "message_sender_requested_idx",
    "message_org_inbound_idx",
    "message_org_template_idx",
    "message_org_label_idx",
    "message_org_replied_tpl_idx",
    "message_org_replied_label_idx",
]


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("messaging", "0009_message_recent_index"),
    ]

    operations = [
        *[AddIndexConcurrentlyOnPostgres(model_name="message", index=index) for index in NEW],
        *[RemoveIndexConcurrentlyOnPostgres(model_name="message", name=name) for name in OLD],
    ]
