from django.db import migrations, models

from accounts.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("messaging", "0012_number_index_with_organization"),
    ]

    operations = [
        # Only unprocessed inbound rows: tiny, but built by reading the whole table.
        AddIndexConcurrentlyOnPostgres(
            model_name="message",
            index=models.Index(
                condition=models.Q(direction="inbound", processed_at__isnull=True),
                fields=["organization", "subscriber"],
                name="message_pending_number_idx",
            ),
        ),
    ]
