"""Background tasks: functions decorated with @task run in the background once enqueued, with
`clear_expired_sessions.enqueue()` (README.md, "Background tasks", says how and where they run).
Put your own here, or in a tasks.py of any app.
"""

from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task


@task()
def clear_expired_sessions():
    """Delete the sessions that have expired, as `manage.py clearsessions` does, and say how many
    (the task's result). Enqueue it from a scheduler (a Kubernetes CronJob, the platform's cron)."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
