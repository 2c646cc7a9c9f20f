"""The feedback app's models, one module per area (complaints; surveys add theirs here)."""

from feedback.models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintExport,
    ComplaintPhoto,
    HiddenComplaintCall,
    Notification,
)

__all__ = [
    "Complaint",
    "ComplaintCategory",
    "ComplaintEscalation",
    "ComplaintEvent",
    "ComplaintExport",
    "ComplaintPhoto",
    "HiddenComplaintCall",
    "Notification",
]
