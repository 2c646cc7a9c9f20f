"""The machinery every import shares: stream rows, clean each in Python, COPY into an UNLOGGED staging
table, run set-based checks in SQL, then upsert the valid rows in one statement per table. What a kind declares to it is in spec.py, the cell
parsers the kinds share in cells.py."""

import csv
import io
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.imports.models import ImportJob
from accounts.imports.reader import FormulaWithoutValue
from accounts.imports.spec import CleanContext, ImportSpec, RowProblem, spec_for
from core.db import tables_analyze
from core.spreadsheet import csv_lines

COPY_CHUNK_ROWS = 5000
PREVIEW_ROWS = 10
MAX_ERRORS_PER_ROW = 10


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
