"""The retailer's complaint pages behind its PORTAL link, and the satisfaction rating behind a COMPLAINT_RATING
link. Every view asks feedback.portal.links for the retailer first; a case of another retailer answers 404."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_http_methods

from core.errors import ConflictError
from core.links import link_view
from feedback.complaints.forms import PublicComplaintForm, RatingForm
from feedback.complaints.models import Complaint
from feedback.complaints.selectors import (
    complaint_hidden_from,
    complaint_timeline,
    retailer_complaint_get,
    retailer_complaints,
)
from feedback.complaints.services.follow_up import complaint_rate
from feedback.complaints.services.intake import complaint_open_once
from feedback.portal.links import (
    COMPLAINT_RATING,
    PORTAL,
    PortalRefused,
    portal_refusal_response,
    portal_response_headers,
    portal_retailer,
)


def _visit(request, token, purpose=PORTAL):
    try:
        return portal_retailer(request=request, token=token, purpose=purpose), None
    except PortalRefused as refusal:
        return None, portal_refusal_response(request, refusal)


def _page(request, template, context):
    return portal_response_headers(render(request, template, context))


@link_view(PORTAL)
@require_http_methods(["GET"])
def complaint_list(request, token):
    visit, refused = _visit(request, token)
    if refused:
        return refused
    complaints = retailer_complaints(retailer=visit.retailer, hidden_from=visit.link.issuer_id)
    return _page(
        request,
        "feedback/public/complaint_list.html",
        {"retailer": visit.retailer, "token": token, "complaints": complaints},
    )


# CSRF stays on: the pages send "Referrer-Policy: same-origin" (feedback.portal.links), so the browser's own posts carry
# an Origin that Django's check accepts, and another site cannot post into a retailer's open page.
@link_view(PORTAL)
@require_http_methods(["GET", "POST"])
def complaint_new(request, token):
    visit, refused = _visit(request, token)
    if refused:
        return refused
    form = PublicComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            complaint, created = complaint_open_once(
                retailer=visit.retailer,
                category_code=form.cleaned_data["category"].code,
                description=form.cleaned_data["description"],
                channel=Complaint.Channel.WEB,
                kind=form.cleaned_data["kind"],
                photos=[photo] if photo else (),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("photo" if field in ("photos", "__all__") else None, errors)
        else:
            if not created:  # a double tap or a resent form: show the case already filed
                messages.info(
                    request, _t("这条内容刚刚已提交过（编号 %(id)s），无需重复提交。") % {"id": complaint.pk}
                )
                return portal_response_headers(
                    redirect("feedback-public:public-complaint-detail", token, complaint.pk)
                )
            messages.success(
                request, _t("已收到，编号 %(id)s。我们会尽快处理并回复您。") % {"id": complaint.pk}
            )
            if complaint_hidden_from(complaint=complaint, user_id=visit.link.issuer_id):
                # filed through a link a staff member had sent, about that member: not shown through this link
                return portal_response_headers(redirect("feedback-public:public-complaint-list", token))
            return portal_response_headers(
                redirect("feedback-public:public-complaint-detail", token, complaint.pk)
            )
    return _page(
        request,
        "feedback/public/complaint_form.html",
        {"retailer": visit.retailer, "token": token, "form": form},
    )


@link_view(PORTAL)
@require_http_methods(["GET"])
def complaint_detail(request, token, pk):
    visit, refused = _visit(request, token)
    if refused:
        return refused
    complaint = retailer_complaint_get(
        retailer=visit.retailer, complaint_id=pk, hidden_from=visit.link.issuer_id
    )
    return _page(
        request,
        "feedback/public/complaint_detail.html",
        {
            "retailer": visit.retailer,
            "token": token,
            "complaint": complaint,
            "events": complaint_timeline(complaint=complaint, public=True),
        },
    )


@link_view(COMPLAINT_RATING)
@require_http_methods(["GET", "POST"])
def complaint_rate_view(request, token):
    visit, refused = _visit(request, token, purpose=COMPLAINT_RATING)
    if refused:
        return refused
    ref = visit.link.ref
    if not isinstance(ref, int):
        raise Http404
    complaint = retailer_complaint_get(retailer=visit.retailer, complaint_id=ref)
    form = RatingForm(request.POST or None)
    status = 200
    if request.method == "POST" and (complaint.rating is not None or form.is_valid()):
        try:
            if complaint.rating is not None:
                raise ConflictError(_t("您已经评价过这次服务，感谢您的反馈。"))
            complaint = complaint_rate(
                complaint=complaint, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except ConflictError as exc:
            messages.warning(request, str(exc))
            complaint.refresh_from_db()
            status = 409
        except ValidationError as exc:
            form.add_error(None, exc.messages)
    if complaint.rating is not None:
        form = None
    response = render(
        request,
        "feedback/public/complaint_rate.html",
        {"retailer": visit.retailer, "complaint": complaint, "form": form},
        status=status,
    )
    return portal_response_headers(response)
