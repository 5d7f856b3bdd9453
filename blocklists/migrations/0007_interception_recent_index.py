from django.db import migrations, models

from accounts.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("blocklists", "0006_entries_without_sender_constraint_and_subscriber_index"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="interception",
            index=models.Index(fields=["-intercepted_at", "-id"], name="interception_recent_idx"),
        ),
    ]
