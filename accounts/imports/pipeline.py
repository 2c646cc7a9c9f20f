"""The machinery every import shares: stream rows, clean each in Python, COPY into an UNLOGGED staging
table, run set-based checks in SQL, then upsert the valid rows in one statement per table."""

import abc
import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.imports.models import ImportJob
from accounts.imports.reader import FormulaWithoutValue
from core.db import tables_analyze
from core.spreadsheet import csv_lines

COPY_CHUNK_ROWS = 5000
PREVIEW_ROWS = 10
WARNINGS_SHOWN = 50
MAX_ERRORS_PER_ROW = 10
# The right to use imports at all; each kind adds the permissions of writing its models (ImportSpec.permissions).
IMPORT_PERMISSION = "accounts.add_importjob"


@dataclass
class RowProblem:
    column: str
    value: str
    message: str


@dataclass
class CleanContext:
    """What a spec's clean() may use: the job, lookups it prepared, today's date."""

    job: ImportJob
    today: datetime.date
    lookups: dict = field(default_factory=dict)


class ImportSpec(abc.ABC):
    """One kind of import. Subclasses declare the header aliases, the staging columns and three steps:
    clean (per row, Python), check (set-based, SQL) and upsert (set-based, SQL)."""

    kind: str
    aliases: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    # (staging column, SQL type); row_no and ok are added by the pipeline
    staging_columns: tuple[tuple[str, str], ...]
    labels: dict[str, str] = {}
    analyze_tables: tuple[str, ...] = ()  # tables to ANALYZE after a large commit
    # The models the import writes. An import creates and updates rows, so it needs what writing them directly
    # needs: add and change of each model (see `permissions`). `register` refuses a spec that declares none.
    models: tuple[type[Model], ...] = ()

    @property
    def permissions(self) -> tuple[str, ...]:
        """Every permission an import of this kind needs: importing at all, and adding and changing each model
        it writes — the same as writing that model directly (the admin, the pages, the API)."""
        perms = [IMPORT_PERMISSION]
        for model in self.models:
            for action in ("add", "change"):
                perms.append(f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}")
        return tuple(perms)

    def allowed_for(self, user) -> bool:
        return bool(user.is_authenticated and user.is_active and user.has_perms(self.permissions))

    def prepare(self, ctx: CleanContext) -> None:  # noqa: B027 - optional hook, most specs need lookups
        """Load small lookups once per job (enum maps, known codes)."""

    @abc.abstractmethod
    def clean(self, raw: dict[str, str], ctx: CleanContext) -> tuple[tuple | None, list[RowProblem]]:
        """Normalise one row: the staging values in `staging_columns` order, and the problems found."""

    def check(self, *, cursor, job: ImportJob, table: str) -> None:  # noqa: B027 - optional hook
        """Set-based checks; add errors with `add_errors_sql`."""

    def warnings(self, *, cursor, job: ImportJob, table: str) -> dict:
        """Set-based hints that do not block a row (a likely duplicate of a record already in the system):
        {"count": n, "items": [{"row": …, "kind": …, "message": …}, …]} with at most WARNINGS_SHOWN items."""
        return {"count": 0, "items": []}

    @abc.abstractmethod
    def upsert(self, *, cursor, job: ImportJob, table: str) -> tuple[int, int, int]:
        """Write the rows where ok; return (created, updated, unchanged)."""

    def column_label(self, name: str) -> str:
        return str(self.labels.get(name, name))

    # field -> an example cell, shown on the import help page (and checked by a test to pass clean())
    examples: dict[str, str] = {}
    # field -> a rule the help page states beside the format (e.g. what happens when the column is missing)
    notes: dict = {}

    def field_format(self, name: str) -> str:
        """The accepted format of a field's cells, from its staging column's type or its model field's
        choices: what the import help page says."""
        for model in self.models:
            try:
                choices = model._meta.get_field(name).choices
            except Exception:  # noqa: S112 - not a field of this model
                continue
            if choices:
                return _("可选值：%(list)s") % {"list": "、".join(str(label) for _v, label in choices)}
        types = dict(self.staging_columns)
        if f"{name}_fen" in types:
            return _("金额（元，最多两位小数，可带 ¥ 或千分位）")
        sqltype = types.get(name, "text")
        if sqltype == "date":
            return _("日期：2024-05-01、2024/5/1、2024年5月1日、20240501 或 Excel 日期序号（45296）")
        if sqltype == "boolean":
            return _("是 / 否")
        if sqltype in ("smallint", "integer", "bigint"):
            return _("整数")
        if sqltype.startswith("numeric"):
            return _("数字")
        return _("文本")

    def help_rows(self) -> list[dict]:
        """Every field this kind accepts, for the help page: its label, the headers that name it, whether it
        is required, its format, an example and any rule about it."""
        return [
            {
                "name": name,
                "label": self.column_label(name),
                "headers": [name, *aliases],
                "required": name in self.required,
                "format": self.field_format(name),
                "example": self.examples.get(name, ""),
                "note": str(self.notes.get(name, "")),
            }
            for name, aliases in self.aliases.items()
        ]

    def column_title(self, name: str, job: ImportJob | None = None) -> str:
        """How to name a column to the user: by the file's own header where the file has the column, else by
        the field's label."""
        if job is not None and name in (job.column_mapping or {}):
            return str(job.column_mapping[name])
        return self.column_label(name)


REGISTRY: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> ImportSpec:
    if not spec.models:
        raise ImproperlyConfigured(
            f"import kind {spec.kind!r} declares no models: its permission would be unknown"
        )
    REGISTRY[spec.kind] = spec
    return spec


def spec_for(kind: str) -> ImportSpec:
    try:
        return REGISTRY[kind]
    except KeyError:
        raise ValidationError(_("未知的导入类型：%(kind)s") % {"kind": kind}) from None


# ---- small parsers shared by specs -------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T].*)?$")
# An Excel date serial (days since 1899-12-30, Excel's 1900 system with its leap-year bug): a date cell exported
# to CSV as a number, e.g. 45296 = 2024-01-05. Five digits cover 1927-05-19 (10000) to 2173-10-14 (99999).
_EXCEL_SERIAL_RE = re.compile(r"^(\d{5})(?:\.0+)?$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(text: str) -> datetime.date:
    """2024-05-01, 2024/5/1, 2024年5月1日, 20240501 or an Excel date serial (45296)."""
    serial = _EXCEL_SERIAL_RE.match(text)
    if serial:
        return EXCEL_EPOCH + datetime.timedelta(days=int(serial.group(1)))
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError
    year, month, day = (int(g) for g in match.groups())
    return datetime.date(year, month, day)


def parse_int(text: str) -> int:
    text = text.replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]
    return int(text)


def parse_money_fen(text: str) -> int:
    """Yuan with up to two decimals (e.g. 105.50, ¥1,234) to integer fen, without float rounding."""
    text = text.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", text)
    if not match:
        raise ValueError
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "夜间"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", ""}


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError


def choice_map(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Accept a choice's code or its label in any of the UI languages: files carry Chinese labels whatever
    language the uploader reads the page in."""
    from django.conf import settings
    from django.utils import translation

    mapping = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in choices:
                mapping[str(value).lower()] = value
                mapping[str(label).lower()] = value
    for key, value in (extra or {}).items():
        mapping[key.lower()] = value
    return mapping


# ---- COPY helpers ------------------------------------------------------------------------------------------


def copy_rows(cursor, table: str, columns: Iterable[str], rows: list[tuple], *, null_columns=()) -> None:
    """COPY rows into `table` through the C csv writer (QUOTE_NONNUMERIC: strings quoted, numbers bare).
    Python writes None as an empty string, so `null_columns` are read with FORCE_NULL: empty means NULL there."""
    if not rows:
        return
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC).writerows(rows)
    buffer.seek(0)
    force = f", FORCE_NULL ({', '.join(null_columns)})" if null_columns else ""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})", buffer)


def add_errors_sql(
    cursor,
    *,
    job: ImportJob,
    table: str,
    column: str,
    message: str,
    where: str,
    value_sql: str = "''",
    where_params: Iterable = (),
) -> None:
    """Record `message` for every staging row matching `where` (SQL over alias s, with `where_params`)."""
    cursor.execute(
        f'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
        f"SELECT %s, s.row_no, %s, left(coalesce(({value_sql})::text, ''), 255), left(%s, 255) "
        f"FROM {table} s WHERE {where}",
        [job.pk, column, message, *where_params],
    )


def add_repeat_errors(
    cursor, *, job: ImportJob, table: str, column: str, message: str, within: tuple[str, ...] = ()
) -> None:
    """Reject every row that repeats an earlier row's `column` (within the same `within` group); the first
    occurrence stands. `message` has one %s: the row number of that first occurrence."""
    partition = ", ".join((*within, column))
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in (*within, column))
    cursor.execute(
        'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
        f"SELECT %s, d.row_no, %s, d.v, replace(%s, '%%s', d.first_row::text) FROM ("
        f"  SELECT row_no, {column}::text AS v, min(row_no) OVER (PARTITION BY {partition}) AS first_row "
        f"  FROM {table} WHERE {not_null}) d WHERE d.row_no <> d.first_row",
        [job.pk, column, message],
    )


def staging_create(cursor, *, table: str, spec: ImportSpec) -> None:
    cols = ", ".join(f"{name} {sqltype}" for name, sqltype in spec.staging_columns)
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"CREATE UNLOGGED TABLE {table} (row_no integer PRIMARY KEY, ok boolean NOT NULL DEFAULT true, {cols})"
    )


def staging_drop(*, job: ImportJob) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {job.staging_table}")


# ---- the validate phase ------------------------------------------------------------------------------------


def stage_and_validate(*, job: ImportJob, rows: Iterable[list[str]], progress: Callable[[int], None]) -> dict:
    """Read every row, clean it, COPY it into the staging table, then run the set-based checks.
    Returns the figures for the job (mapping, unknown columns, preview, counts)."""
    spec = spec_for(job.kind)
    iterator = iter(rows)
    header = next(iterator, None)
    if not header or not any(header):
        raise ValidationError(_("文件是空的：第一行应为表头。"))
    from accounts.imports.reader import map_header

    mapping, unknown = map_header(header, spec.aliases)
    missing = [name for name in spec.required if name not in mapping]
    if missing:
        raise ValidationError(
            _("缺少必填列：%(cols)s。请检查表头（可用的列名见“导入说明”）。")
            % {"cols": "、".join(spec.column_label(n) for n in missing)}
        )
    ctx = CleanContext(job=job, today=timezone.localdate())
    spec.prepare(ctx)
    table = job.staging_table
    columns = ["row_no", "ok", *[name for name, _type in spec.staging_columns]]
    preview: list[dict] = []
    total = 0
    staged: list[tuple] = []
    problems: list[tuple] = []
    items = list(mapping.items())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_importrowerror WHERE job_id = %s", [job.pk])
        staging_create(cursor, table=table, spec=spec)
        for row_no, row in enumerate(iterator, start=2):
            if not any(row) and not any(isinstance(c, FormulaWithoutValue) for c in row):
                continue
            total += 1
            raw = {name: (row[index] if index < len(row) else "") for name, index in items}
            values, row_problems = spec.clean(raw, ctx)
            formulas = [name for name, cell in raw.items() if isinstance(cell, FormulaWithoutValue)]
            if formulas:
                # "cannot be empty" would send the user looking for a blank cell: say what the cell is.
                row_problems = [p for p in row_problems if p.column not in formulas] + [
                    RowProblem(
                        name,
                        raw[name].formula,
                        _(
                            "公式单元格没有值（文件保存时未计算公式），请在 Excel 中打开并保存后再导入，或把公式改为数值。"
                        ),
                    )
                    for name in formulas
                ]
            ok = not row_problems
            if values is not None:
                staged.append((row_no, ok, *values))
            for problem in row_problems[:MAX_ERRORS_PER_ROW]:
                problems.append((job.pk, row_no, problem.column, problem.value[:255], problem.message[:255]))
            if len(preview) < PREVIEW_ROWS:
                preview.append(
                    {"row": row_no, "cells": row[: len(header)], "errors": [p.message for p in row_problems]}
                )
            if len(staged) >= COPY_CHUNK_ROWS:
                copy_rows(cursor, table, columns, staged, null_columns=columns[2:])
                copy_rows(
                    cursor,
                    "accounts_importrowerror",
                    ("job_id", "row_no", '"column"', "value", "message"),
                    problems,
                )
                staged, problems = [], []
                progress(total)
        copy_rows(cursor, table, columns, staged, null_columns=columns[2:])
        copy_rows(
            cursor, "accounts_importrowerror", ("job_id", "row_no", '"column"', "value", "message"), problems
        )
        tables_analyze(cursor, table)
        # checks may depend on which columns the file carries, as the upsert does
        job.column_mapping = {name: header[index] for name, index in mapping.items()}
        spec.check(cursor=cursor, job=job, table=table)
        warnings = spec.warnings(cursor=cursor, job=job, table=table)
        cursor.execute(
            f"UPDATE {table} s SET ok = false WHERE ok AND EXISTS "
            "(SELECT 1 FROM accounts_importrowerror e WHERE e.job_id = %s AND e.row_no = s.row_no)",
            [job.pk],
        )
        cursor.execute(
            "SELECT count(DISTINCT row_no) FROM accounts_importrowerror WHERE job_id = %s", [job.pk]
        )
        invalid = cursor.fetchone()[0]
    # Preview rows learn about errors found by the set-based checks too.
    if preview:
        from accounts.imports.models import ImportRowError

        late = {}
        for row_no, message in ImportRowError.objects.filter(
            job=job, row_no__lte=preview[-1]["row"]
        ).values_list("row_no", "message"):
            late.setdefault(row_no, []).append(message)
        for item in preview:
            item["errors"] = late.get(item["row"], [])
    return {
        "column_mapping": {name: header[index] for name, index in mapping.items()},
        "unknown_columns": unknown,
        "preview": {"header": header, "rows": preview, "warnings": warnings},
        "total_rows": total,
        "invalid_rows": invalid,
        "valid_rows": total - invalid,
    }


def errors_as_csv_rows(job: ImportJob):
    """The per-row error report: row, column, value, message (streamed lines of CSV). The values are the file's
    own cells, so they go through core.spreadsheet like every export: a formula in the upload stays text."""
    from accounts.imports.models import ImportRowError

    spec = spec_for(job.kind)
    rows = (
        [row_no, spec.column_title(column, job) if column else "", value, message]
        for row_no, column, value, message in (
            ImportRowError.objects.filter(job=job)
            .order_by("row_no", "id")
            .values_list("row_no", "column", "value", "message")
            .iterator(chunk_size=5000)
        )
    )
    yield from csv_lines([_("行号"), _("列"), _("值"), _("错误说明")], rows)
