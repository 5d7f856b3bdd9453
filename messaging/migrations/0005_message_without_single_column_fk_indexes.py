"""Drop the single-column indexes of Message.organization, .sender and .batch.

The composite indexes leading with those columns (organization, -requested_at),
(sender, -requested_at) and (batch, status) serve the same lookups and the
cascades. Only the indexes go: Django's AlterField would also drop and re-add the
foreign keys, which re-checks every message under lock (minutes at 10M rows).
"""

from django.db import migrations, models
import django.db.models.deletion

INDEXES = {
    "messaging_message_batch_id_dd91a458": "batch_id",
    "messaging_message_organization_id_360faf91": "organization_id",
    "messaging_message_sender_id_7a7088e6": "sender_id",
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_message_retention"),
        ("messaging", "0004_message_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "messaging_message" ("{column}")',
                )
                for name, column in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="batch",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="messaging.batch",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="message",
                    name="sender",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="accounts.sender",
                    ),
                ),
            ],
        )
    ]
