from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Appointment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("customer_email", models.EmailField(max_length=254)),
                ("starts_at", models.DateTimeField()),
                ("reminded", models.BooleanField(default=False)),
            ],
        ),
        migrations.CreateModel(
            name="Notification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("recipient_email", models.EmailField(max_length=254)),
                ("message", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={"ordering": ["-id"]},
        ),
        migrations.CreateModel(
            name="Order",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("customer_email", models.EmailField(max_length=254)),
                ("total", models.DecimalField(decimal_places=2, max_digits=10)),
                ("undeliverable", models.BooleanField(default=False)),
                ("charge_id", models.CharField(blank=True, default="", max_length=40)),
                ("paid", models.BooleanField(default=False)),
                ("refunded", models.BooleanField(default=False)),
                ("reservation_id", models.CharField(blank=True, default="", max_length=40)),
                ("released", models.BooleanField(default=False)),
                ("tracking_number", models.CharField(blank=True, default="", max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
