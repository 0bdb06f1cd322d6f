"""A partial index for SLA attainment: the rows with an SLA outcome, by solve time."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_rollup_typed_columns_and_periods"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticketmetrics",
            index=models.Index(
                condition=models.Q(("excluded", False), models.Q(("sla", {}), _negated=True)),
                fields=["solved_at"],
                name="tmetrics_sla_solved",
            ),
        ),
    ]
