"""Every write of the feedback app. Import from here."""

from feedback.services.complaints import (
    complaint_assign,
    complaint_close,
    complaint_export_count_set,
    complaint_export_log,
    complaint_note_add,
    complaint_open,
    complaint_open_once,
    complaint_photo_add,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
    complaints_deadlines_recompute,
    complaints_escalate,
    hidden_complaint_call_record,
    notifications_mark_read,
)
from feedback.services.follow_up import (
    complaint_follow_up_sms_send,
    complaint_rate,
    complaint_supervisor_call_record,
)

__all__ = [
    "complaint_assign",
    "complaint_close",
    "complaint_export_count_set",
    "complaint_export_log",
    "complaint_follow_up_sms_send",
    "complaint_note_add",
    "complaint_open",
    "complaint_open_once",
    "complaint_photo_add",
    "complaint_rate",
    "complaint_reopen",
    "complaint_resolve",
    "complaint_start",
    "complaint_supervisor_call_record",
    "complaints_deadlines_recompute",
    "complaints_escalate",
    "hidden_complaint_call_record",
    "notifications_mark_read",
]
