from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskRun(models.Model):
    """One run of a periodic task (started by beat), written by the worker's task_prerun / task_postrun hooks
    (crm.celery_app → workspace.services): when it started and ended, how long it took, how it ended and why it
    failed. django-celery-beat only records when beat last sent a task, not whether it ran or how it went."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("运行中")
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        RETRY = "retry", _("重试")

    task_id = models.CharField(_("任务编号"), max_length=64, unique=True)
    task_name = models.CharField(_("任务"), max_length=200)
    periodic_task_name = models.CharField(_("定时计划"), max_length=200, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.CharField(_("错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("定时任务运行记录")
        verbose_name_plural = _("定时任务运行记录")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["periodic_task_name", "-started_at"], name="taskrun_schedule_recent"),
            models.Index(fields=["outcome", "-started_at"], name="taskrun_outcome_recent"),
        ]

    def __str__(self):
        return f"{self.periodic_task_name or self.task_name} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"
