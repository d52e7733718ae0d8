from django.db import models


class Ledger(models.Model):
    """A user's own table: steps write here to prove their writes commit (or roll back)."""

    run_id = models.BigIntegerField()
    note = models.CharField(max_length=200)

    class Meta:
        app_label = "testapp"

    def __str__(self) -> str:
        return self.note
