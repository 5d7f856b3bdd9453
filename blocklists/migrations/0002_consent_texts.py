from django.db import migrations

ADD_V1 = (
    "I confirm that the subscribers I am adding asked not to receive messages from this "
    "sender, or that there is another documented reason to stop messaging them. They will "
    "receive nothing more from this sender until an admin reverts the entry with their consent."
)
REVERT_V1 = (
    "I confirm that this subscriber has given consent to receive messages from this sender "
    "again, and that I can show that consent if asked. Reverting removes the entry; the "
    "history keeps a record of who reverted it and when."
)


def create_texts(apps, schema_editor):
    ConsentText = apps.get_model("blocklists", "ConsentText")
    ConsentText.objects.get_or_create(purpose="add", version=1, defaults={"text": ADD_V1})
    ConsentText.objects.get_or_create(purpose="revert", version=1, defaults={"text": REVERT_V1})


class Migration(migrations.Migration):
    dependencies = [("blocklists", "0001_initial")]

    operations = [migrations.RunPython(create_texts, migrations.RunPython.noop)]
