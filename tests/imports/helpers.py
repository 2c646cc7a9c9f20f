"""Building import files in tests and running them through the import services.

Files are built here, byte for byte, in the encodings retailers' systems really produce: UTF-8, UTF-8 with a
BOM (Excel's "CSV UTF-8"), GBK and GB18030 (Excel's "CSV" on a Chinese Windows), tab-separated text, and XLSX.
"""

import csv
import datetime
import io
from collections.abc import Iterable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.imports.models import ImportJob, ImportRowError
from accounts.imports.services import import_job_commit, import_job_create, import_job_validate

# The headers of a retailer file as the licence office exports it (Chinese, in the office's order).
RETAILER_HEADER = [
    "客户编码",
    "许可证号",
    "发证日期",
    "有效期至",
    "店铺名称",
    "负责人",
    "手机号",
    "经营地址",
    "市场类型",
    "经营业态",
    "经营规模",
    "档位",
    "营销部",
    "服务线路",
    "身份证号",
]

PRODUCT_HEADER = ["卷烟编码", "品牌", "规格名称", "生产企业", "批发价", "建议零售价", "状态", "替代品规"]
ORDER_HEADER = ["订单号", "许可证号", "订货日期", "卷烟编码", "订购量", "单价", "金额"]


def retailer_row(n: int = 1, *, region: str = "410302", **overrides) -> dict[str, str]:
    """One valid retailer row of county A (老城区, 410302) on route LC-A01, keyed by Chinese header."""
    issued = timezone.localdate() - datetime.timedelta(days=400)
    row = {
        "客户编码": f"LC{n:08d}",
        "许可证号": f"{region}1{n:05d}",
        "发证日期": issued.isoformat(),
        "有效期至": (issued + datetime.timedelta(days=4 * 365)).isoformat(),
        "店铺名称": f"老城第{n}号便利店",
        "负责人": f"周{n}",
        "手机号": f"1380000{n:04d}",
        "经营地址": f"河南省洛阳市老城区中州东路{n}号",
        "市场类型": "城镇",
        "经营业态": "便利店",
        "经营规模": "中",
        "档位": "10",
        "营销部": "老城营销一部",
        "服务线路": "LC-A01",
        "身份证号": "",
    }
    row.update(overrides)
    return row


def table(rows: list[dict[str, str]], header: list[str] | None = None) -> tuple[list[str], list[list[str]]]:
    header = header or list(rows[0])
    return header, [[row.get(name, "") for name in header] for row in rows]


def csv_bytes(
    rows: list[dict[str, str]],
    *,
    header: list[str] | None = None,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> bytes:
    head, body = table(rows, header)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(head)
    writer.writerows(body)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """An Excel workbook with typed cells (dates as dates, numbers as numbers), as Excel itself saves them."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "零售客户"
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "import.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def validated_job(
    *,
    user,
    content: bytes,
    kind: str = ImportJob.Kind.RETAILERS,
    name: str = "import.csv",
    mode: str = ImportJob.Mode.VALID_ONLY,
    encoding: str = "",
) -> ImportJob:
    """Upload and validate synchronously (what the Celery task does), returning the fresh job."""
    job = import_job_create(
        user=user, kind=kind, upload=upload(content, name), mode=mode, encoding=encoding, enqueue=False
    )
    import_job_validate(job_id=job.pk)
    job.refresh_from_db()
    return job


def run_import(*, user, content: bytes, kind: str = ImportJob.Kind.RETAILERS, **kwargs) -> ImportJob:
    """Upload, validate and commit (valid rows only unless told otherwise), synchronously."""
    job = validated_job(user=user, content=content, kind=kind, **kwargs)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    job = import_job_commit(job_id=job.pk, user=user, enqueue=False)
    job.refresh_from_db()
    return job


def row_errors(job: ImportJob) -> dict[int, list[tuple[str, str]]]:
    """{row number: [(column, message), ...]} of the job's error report."""
    result: dict[int, list[tuple[str, str]]] = {}
    for error in ImportRowError.objects.filter(job=job).order_by("row_no", "id"):
        result.setdefault(error.row_no, []).append((error.column, error.message))
    return result


def messages_of(job: ImportJob, row_no: int) -> str:
    """Every message of one row, joined: for `in` checks."""
    return " | ".join(message for _column, message in row_errors(job).get(row_no, []))
