"""REST API of the caller's own in-app notifications: /api/v1/notifications/."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from feedback.complaints.notifications.models import Notification
from feedback.complaints.notifications.selectors import notification_list
from feedback.complaints.notifications.services import notifications_mark_read


class NewestCreatedFirst(CursorPage):
    ordering = ("-created_at", "-id")


class NotificationSerializer(StrictModelSerializer):
    text = serializers.CharField(
        source="text_display", read_only=True, help_text="the notification in the caller's language"
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "complaint", "text", "created_at", "read_at"]


class MarkReadSerializer(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="which to mark read; all unread when omitted",
    )


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = NewestCreatedFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("1", "true")
        return notification_list(user=self.request.user, unread_only=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = notifications_mark_read(user=request.user, notification_ids=body.validated_data.get("ids"))
        return Response({"marked": marked})
