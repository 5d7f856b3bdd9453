from django.db import migrations, models

from accounts.migration_operations import AddIndexConcurrentlyOnPostgres


class Migration(migrations.Migration):
    atomic = False  # CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("messaging", "0008_replied_template_and_label"),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name="message",
            index=models.Index(fields=["-requested_at", "-id"], name="message_recent_idx"),
        ),
    ]
