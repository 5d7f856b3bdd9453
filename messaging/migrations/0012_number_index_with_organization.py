from django.db import migrations, models

from accounts.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
)


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("messaging", "0011_batch_indexes"),
    ]

    operations = [
        # The new index first: searches by number always have one (19 s at 10M).
        AddIndexConcurrentlyOnPostgres(
            model_name="message",
            index=models.Index(
                fields=["subscriber", "sent_at"],
                include=["organization"],
                name="message_subscriber_org_idx",
            ),
        ),
        RemoveIndexConcurrentlyOnPostgres(
            model_name="message",
            name="message_subscriber_sent_idx",
        ),
    ]
