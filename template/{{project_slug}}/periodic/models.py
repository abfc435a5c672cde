from django.db import models


class Tick(models.Model):
    """The latest tick enqueued of each scheduled task. A worker enqueues a tick only by moving its
    task's row forward to it, which one worker alone can do (ticker.py)."""

    task = models.CharField(primary_key=True, max_length=200)
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.task} at {self.at:%Y-%m-%d %H:%M:%S}"
