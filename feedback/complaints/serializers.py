"""Serializers of the complaints API (feedback.complaints.api)."""

from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent, ComplaintPhoto, Priority
from sales.models import Order, Product
from users.serializers import user_ref

BIGINT_MAX = 2**63 - 1


class CategorySerializer(StrictModelSerializer):
    class Meta:
        model = ComplaintCategory
        fields = [
            "code",
            "name",
            "response_hours",
            "resolution_hours",
            "same_day_dispatch",
            "default_priority",
            "routing",
            "queue_unit",
        ]


class ComplaintEventSerializer(StrictModelSerializer):
    actor = user_ref()
    text = serializers.CharField(
        source="text_display",
        read_only=True,
        help_text="the line in the caller's language (Accept-Language): a system-written one is worded from its "
        "code, a person's note is given as written",
    )

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "at", "actor", "from_status", "to_status", "text", "is_internal"]


class PhotoSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="where a signed-in user who may see the case gets the file"
    )

    class Meta:
        model = ComplaintPhoto
        fields = ["id", "url", "content_type", "size", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("feedback:complaint-photo", args=[obj.complaint_id, obj.pk])


class ComplaintSerializer(StrictModelSerializer):
    customer_manager = user_ref()
    assignee = user_ref()
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    deadline_note = serializers.CharField(
        source="deadline_note_display", read_only=True, help_text="in the caller's language"
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "retailer",
            "category",
            "kind",
            "channel",
            "priority",
            "status",
            "description",
            "product",
            "order",
            "customer_manager",
            "assignee",
            "queue_unit",
            "visit_ref",
            "opened_at",
            "response_due",
            "resolution_due",
            "deadline_note",
            "deadlines_provisional",
            "responded_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "reopen_count",
            "version",
            "follow_up",
            "follow_up_at",
            "rating",
            "rating_comment",
            "rated_at",
            "needs_supervisor_call",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        now = timezone.now()
        if obj.status not in Complaint.OPEN_STATUSES:
            return False
        late_response = (
            obj.status in Complaint.AWAITING_RESPONSE
            and obj.responded_at is None
            and obj.response_due is not None
            and obj.response_due < now
        )
        return late_response or (obj.resolution_due is not None and obj.resolution_due < now)


class ComplaintDetailSerializer(ComplaintSerializer):
    customer_manager = user_ref()
    assignee = user_ref()
    events = ComplaintEventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "events", "photos"]
        read_only_fields = fields


class ComplaintCreateSerializer(StrictSerializer):
    retailer = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    category = serializers.CharField(max_length=30, help_text="a category code, see /complaint-categories/")
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    kind = serializers.ChoiceField(choices=Complaint.Kind.choices, default=Complaint.Kind.COMPLAINT)
    description = serializers.CharField(max_length=2000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    visit_ref = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True, help_text="a product id"
    )
    order = serializers.PrimaryKeyRelatedField(
        queryset=Order.objects.all(), required=False, allow_null=True, help_text="an order of this retailer"
    )


class VersionSerializer(StrictSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="the version you read; a stale one answers 409 instead of overwriting",
    )


class AssignSerializer(VersionSerializer):
    assignee = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)


class ResolveSerializer(VersionSerializer):
    resolution = serializers.CharField(max_length=2000)


class ReopenSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=500)


class NoteSerializer(StrictSerializer):
    text = serializers.CharField(max_length=2000)
    internal = serializers.BooleanField(default=True)


class SupervisorCallSerializer(StrictSerializer):
    note = serializers.CharField(max_length=1900)


class PhotoUploadSerializer(StrictSerializer):
    photo = serializers.FileField()
