from django.db import migrations, models

from accounts.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="ticket",
            index=models.Index(
                fields=["queue", "-updated_at", "-id"],
                condition=models.Q(queue__in=("bot", "unassigned", "assigned", "blocked")),
                name="ticket_open_queue_idx",
            ),
        ),
    ]
