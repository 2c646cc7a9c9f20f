"""Reads of personal-information requests, scoped by territory (accounts.selectors.retailer_scope)."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.selectors import retailer_scope
from privacy.models import PrivacyLog, PrivacyRequest
from users.models import User


def privacy_request_scope(*, user: User) -> QuerySet[PrivacyRequest]:
    """The requests about retailers the user may see."""
    return PrivacyRequest.objects.filter(retailer__in=retailer_scope(user=user).values("pk"))


def privacy_request_list(*, user: User, status: str | None = None) -> QuerySet[PrivacyRequest]:
    qs = privacy_request_scope(user=user).select_related("retailer", "created_by", "decided_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "due_at", "-id")


def privacy_request_get(*, user: User, request_id: int) -> PrivacyRequest:
    """The request if its retailer is in the user's territory; 404 otherwise."""
    qs = privacy_request_scope(user=user).select_related("retailer", "created_by", "decided_by")
    return get_object_or_404(qs, pk=request_id)


def privacy_request_log(*, request: PrivacyRequest) -> QuerySet[PrivacyLog]:
    return request.log.select_related("user").order_by("at", "id")
