from django.db import migrations, models

from accounts.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("messaging", "0010_newest_indexes_with_id"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="batch",
            index=models.Index(fields=["-created_at", "-id"], name="batch_recent_idx"),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name="batch",
            index=models.Index(
                fields=["organization", "-created_at", "-id"],
                condition=~models.Q(file_name=""),
                name="batch_from_file_idx",
            ),
        ),
    ]
