"""REST API for imports: upload → job id → status, preview and errors → commit."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.imports.models import ImportJob, ImportRowError
from accounts.imports.reader import SUPPORTED_ENCODINGS
from accounts.imports.selectors import import_jobs_visible
from accounts.imports.services import import_job_commit, import_job_create
from core.idempotency import IdempotentCreateMixin
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.serializers import user_ref


class ImportJobSerializer(StrictModelSerializer):
    created_by = user_ref()

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "original_name",
            "size_bytes",
            "sha256",
            "file_format",
            "encoding",
            "mode",
            "status",
            "progress",
            "message",
            "column_mapping",
            "unknown_columns",
            "preview",
            "total_rows",
            "valid_rows",
            "invalid_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "created_by",
            "created_at",
            "validated_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportUploadSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField()
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.VALID_ONLY)
    encoding = serializers.ChoiceField(
        choices=[("", "detect"), *[(e, e) for e in SUPPORTED_ENCODINGS]], default="", required=False
    )


class ImportRowErrorSerializer(StrictModelSerializer):
    class Meta:
        model = ImportRowError
        fields = ["id", "row_no", "column", "value", "message"]


class ErrorPagination(CursorPagination):
    page_size = 100
    ordering = "id"


class JobPagination(CursorPagination):
    page_size = 50
    ordering = "-created_at"


class ImportJobViewSet(
    IdempotentCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = JobPagination

    def get_queryset(self):
        return import_jobs_visible(user=self.request.user)

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportJobSerializer}
    )
    def create(self, request):
        """Upload a file; validation runs in the background. Poll the job until status is "validated"."""
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        fields = dict(upload.validated_data)
        # the service names the uploaded file `upload`; the form field is `file`
        fields["upload"] = fields.pop("file")
        try:
            job = import_job_create(user=request.user, **fields)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
            ) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=inline_serializer(
            "ImportCommit", {"mode": serializers.ChoiceField(choices=ImportJob.Mode.choices, required=False)}
        ),
        responses={202: ImportJobSerializer},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def commit(self, request, pk=None):
        """Write the validated rows (409 if the job is not waiting for confirmation)."""
        job = self.get_object()
        mode = request.data.get("mode") or None
        try:
            job = import_job_commit(job_id=job.pk, user=request.user, mode=mode)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: ImportRowErrorSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """The per-row error report, 100 rows a page."""
        job = self.get_object()
        paginator = ErrorPagination()
        page = paginator.paginate_queryset(job.row_errors.all(), request, view=self)
        return paginator.get_paginated_response(ImportRowErrorSerializer(page, many=True).data)
