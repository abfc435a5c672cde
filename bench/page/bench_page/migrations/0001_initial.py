import datetime
from decimal import Decimal

from django.db import migrations, models

ROWS = 20


def add_rows(apps, schema_editor):
    item = apps.get_model("bench_page", "Item")
    added = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    item.objects.bulk_create(
        item(
            name=f"item number {number}",
            description=f"The benchmark's item {number}, described in a few more words than its name.",
            price=Decimal(number) + Decimal("0.99"),
            added=added + datetime.timedelta(days=number),
        )
        for number in range(1, ROWS + 1)
    )


class Migration(migrations.Migration):
    initial = True
    dependencies = []  # noqa: RUF012 - a migration's shape, as makemigrations writes it

    operations = [  # noqa: RUF012
        migrations.CreateModel(
            name="Item",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=100)),
                ("description", models.TextField()),
                ("price", models.DecimalField(decimal_places=2, max_digits=8)),
                ("added", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(add_rows, migrations.RunPython.noop),
    ]
