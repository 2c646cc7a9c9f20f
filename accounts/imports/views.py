"""Browser pages for imports: upload, progress, preview and errors, commit, the error report, templates."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.imports.models import ImportJob
from accounts.imports.pipeline import errors_as_csv_rows
from accounts.imports.reader import ENCODING_LABELS
from accounts.imports.selectors import (
    import_job_errors,
    import_job_get,
    import_job_same_file,
    import_jobs_visible,
    import_kinds_allowed,
)
from accounts.imports.services import (
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_kind_check,
)
from accounts.imports.spec import spec_for
from core.errors import ConflictError, error_text
from core.spreadsheet import CSV_CONTENT_TYPE, csv_response


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入内容"), choices=ImportJob.Kind.choices)
    file = forms.FileField(label=gettext_lazy("文件（CSV 或 Excel .xlsx）"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("文件编码"),
        required=False,
        choices=[("", gettext_lazy("自动识别")), *ENCODING_LABELS.items()],
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("导入方式"),
        choices=ImportJob.Mode.choices,
        initial="valid",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


@login_required
@permission_required("accounts.add_importjob", raise_exception=True)
@require_http_methods(["GET", "POST"])
def import_list_view(request):
    kinds = import_kinds_allowed(user=request.user)
    if request.method == "POST" and request.POST.get("kind") in ImportJob.Kind.values:
        # a kind the page does not offer is refused by the rule itself, with its reason (403)
        import_kind_check(user=request.user, kind=request.POST["kind"])
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        kinds=kinds,
        initial={"kind": request.GET.get("kind", "retailers")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                user=request.user,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
                mode=form.cleaned_data["mode"],
                encoding=form.cleaned_data["encoding"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect(job)
    jobs = import_jobs_visible(user=request.user)[:30]
    return render(
        request,
        "accounts/import_list.html",
        {"form": form, "jobs": jobs, "kinds": kinds},
        status=400 if form.errors else 200,
    )


@login_required
@require_GET
def import_detail_view(request, pk):
    job = import_job_get(user=request.user, job_id=pk)
    spec = spec_for(job.kind)
    context = {
        "job": job,
        "errors": import_job_errors(job=job),
        "mapping": [(spec.column_label(name), title) for name, title in job.column_mapping.items()],
        "modes": ImportJob.Mode.choices,
        "same_file": import_job_same_file(job=job) if not job.is_finished else None,
        "running": job.status
        in (ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATING, ImportJob.Status.COMMITTING),
    }
    context["errors"] = [(e, spec.column_title(e.column, job)) for e in context["errors"]]
    template = "includes/import_status.html" if request.htmx else "accounts/import_detail.html"
    return render(request, template, context)


@login_required
@require_POST
def import_commit_view(request, pk):
    job = import_job_get(user=request.user, job_id=pk)
    try:
        import_job_commit(job_id=job.pk, user=request.user, mode=request.POST.get("mode") or None)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("正在导入，完成后本页会自动更新。"))
    return redirect(job)


@login_required
@require_POST
def import_cancel_view(request, pk):
    job = import_job_get(user=request.user, job_id=pk)
    try:
        import_job_cancel(job_id=job.pk, user=request.user)
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.info(request, _("已取消，未导入任何数据。"))
    return redirect("imports:job-list")


@login_required
@require_GET
def import_errors_view(request, pk):
    job = import_job_get(user=request.user, job_id=pk)
    response = StreamingHttpResponse(errors_as_csv_rows(job), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@login_required
@permission_required("accounts.add_importjob", raise_exception=True)
@require_GET
def import_help_view(request):
    """导入说明: for each kind the user may import, every accepted header, its format and an example —
    generated from the import specs, so the page cannot drift from what the importer accepts."""
    from accounts.imports.spec import REGISTRY

    kinds = [
        {"value": value, "label": label, "fields": REGISTRY[value].help_rows()}
        for value, label in import_kinds_allowed(user=request.user)
    ]
    return render(
        request, "accounts/import_help.html", {"kinds": kinds, "encodings": ENCODING_LABELS.values()}
    )


@login_required
@require_GET
def import_template_view(request, kind):
    """An empty file with the Chinese headers the import understands, ready to fill in Excel."""
    try:
        spec = spec_for(kind)
    except ValidationError:
        return HttpResponse(status=404)
    header = [spec.aliases[name][0] if spec.aliases[name] else name for name in spec.aliases]
    return csv_response(header, [], filename=f"{kind}-template.csv")
