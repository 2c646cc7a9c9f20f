"""The signed-in staff member's notifications page, and marking them read."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from feedback.complaints.notifications.selectors import notification_list
from feedback.complaints.notifications.services import notifications_mark_read


@login_required
@require_GET
def notification_list_view(request):
    rows = list(notification_list(user=request.user)[:100])
    return render(request, "feedback/notification_list.html", {"notifications": rows})


@login_required
@require_POST
def notification_read_view(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notifications_mark_read(user=request.user, notification_ids=ids or None)
    target = request.POST.get("next")
    if target and target.isdigit():
        return redirect("feedback:complaint-detail", int(target))
    return redirect("feedback:notification-list")
