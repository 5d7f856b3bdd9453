import datetime as dt

from django.db import migrations

# The code table of the issue: what each channel failure code does to the number.
RULES = [
    (500, "Empty", "global", dt.timedelta(days=30)),
    (510, "Out of service", "global", dt.timedelta(hours=1)),
    (520, "Blacklist", "local", dt.timedelta(hours=1)),
    (530, "Busy", "", None),
    (540, "No answer", "", None),
    (550, "Interception", "local", dt.timedelta(hours=1)),
    (560, "Break down", "global", dt.timedelta(hours=1)),
    (570, "Not in service", "global", dt.timedelta(hours=1)),
    (580, "Power off", "", None),
    (590, "Other", "", None),
]


def create_rules(apps, schema_editor):
    InterceptionRule = apps.get_model("blocklists", "InterceptionRule")
    for code, description, scope, duration in RULES:
        InterceptionRule.objects.get_or_create(
            code=code, defaults={"description": description, "scope": scope, "duration": duration}
        )


class Migration(migrations.Migration):
    dependencies = [("blocklists", "0003_interceptions")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
