"""Who handles a case: the category's routing rule when it is opened, and (re)assignment by a person."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError
from core.messages import system_message
from feedback import system_texts as texts
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.notifications.services import notify
from feedback.complaints.selectors import complaint_scope, unit_supervisor
from feedback.complaints.services.timeline import complaint_event_add
from feedback.complaints.services.workflow import complaint_lock, complaint_save, transition_refuse
from users.models import User

Status = Complaint.Status
Event = ComplaintEvent.Kind


def complaint_route(*, category: ComplaintCategory, retailer, customer_manager: User | None):
    """(assignee or None, queue unit) by the category's routing rule."""
    routing = ComplaintCategory.Routing
    if category.routing == routing.UNIT:
        return None, category.queue_unit
    if category.routing == routing.SUPERVISOR:
        exclude = [customer_manager.pk] if customer_manager else []
        return unit_supervisor(org_unit=retailer.org_unit, exclude=exclude), retailer.org_unit
    if customer_manager is not None and customer_manager.is_active:
        return customer_manager, retailer.org_unit
    return unit_supervisor(org_unit=retailer.org_unit), retailer.org_unit


def assign_message(complaint: Complaint) -> dict:
    return system_message(
        texts.NEW_CASE, category=complaint.category.name, shop=complaint.retailer.shop_name, id=complaint.pk
    )


def _may_handle(*, user: User, complaint: Complaint) -> bool:
    return complaint_scope(user=user).filter(pk=complaint.pk).exists()


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint | int, assignee: User, actor: User | None, expected_version: int | None = None
) -> Complaint:
    """New, assigned or in-progress → assigned to `assignee` (an active staff member who may see the retailer; for
    a complaint about a customer manager's conduct, never that manager)."""
    complaint = complaint_lock(complaint, expected_version)
    if complaint.status not in Complaint.OPEN_STATUSES:
        transition_refuse(complaint, _t("分派"))
    if not assignee.is_active or assignee.role == User.Role.INTEGRATION:
        raise ValidationError({"assignee": _("处理人必须是在职员工。")})
    if (
        complaint.category.routing == ComplaintCategory.Routing.SUPERVISOR
        and complaint.customer_manager_id == assignee.pk
    ):
        raise ValidationError({"assignee": _("投诉客户经理的案件不能交给被投诉的客户经理。")})
    if assignee.pk == complaint.assignee_id and complaint.status == Status.ASSIGNED:
        raise ConflictError(_t("该投诉已分派给此人。"))
    if not (
        assignee.is_company_admin
        or _may_handle(user=assignee, complaint=complaint)
        or _in_queue(assignee, complaint)
    ):
        raise ValidationError({"assignee": _("处理人不负责该零售户或该部门。")})
    before = complaint.status
    complaint.assignee = assignee
    complaint.status = Status.ASSIGNED
    complaint_save(complaint, ["assignee", "status"])
    complaint_event_add(
        complaint,
        Event.ASSIGNED,
        actor=actor,
        from_status=before,
        to_status=Status.ASSIGNED,
        text=str(assignee),
    )
    notify(
        recipients=[assignee],
        kind=Notification.Kind.ASSIGNED,
        complaint=complaint,
        message=assign_message(complaint),
    )
    return complaint


def _in_queue(user: User, complaint: Complaint) -> bool:
    return bool(user.org_unit_id) and complaint.queue_unit.path.startswith(user.org_unit.path)
