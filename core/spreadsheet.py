"""Every CSV and XLSX file a user downloads is written through here, so that no cell becomes a formula.

A shop name, an address or a comment can come from a retailer or an import file. A spreadsheet program runs a
cell that starts with = + - @ (or a tab or carriage return before one) as a formula: `=HYPERLINK("http://x","点击")`
would be a live link in the company's own export, and `=cmd|…` a command on old Excel. The OWASP rule for CSV
injection is to prefix such a text cell with a single quote, which spreadsheets show as text and do not run. The
same prefix goes into XLSX cells: openpyxl stores a string starting with "=" as a formula otherwise.

Numbers, dates and None stay as they are (a negative number is a number, not a formula); only text is touched.
"""

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # Excel reads a CSV as UTF-8 only with it


def cell_safe(value):
    """`value`, with a text that a spreadsheet would run as a formula turned into plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row_safe(values: Iterable) -> list:
    return [cell_safe(value) for value in values]


class _Echo:
    def write(self, value):
        return value


class SafeCsvWriter:
    """csv.writer whose rows go through `row_safe`; `writerow` returns the line when the target returns it."""

    def __init__(self, target):
        self._writer = csv.writer(target)

    def writerow(self, values: Iterable):
        return self._writer.writerow(row_safe(values))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for values in rows:
            self._writer.writerow(row_safe(values))


def csv_writer(target) -> SafeCsvWriter:
    return SafeCsvWriter(target)


def csv_lines(header: Iterable, rows: Iterable[Iterable], *, bom: bool = True) -> Iterator[str]:
    """The lines of a CSV file, one at a time (for a streaming response): header first, BOM before it."""
    writer = SafeCsvWriter(_Echo())
    yield (BOM if bom else "") + writer.writerow(header)
    for values in rows:
        yield writer.writerow(values)


def csv_text(header: Iterable | None, rows: Iterable[Iterable], *, bom: bool = True) -> str:
    """A whole (small) CSV file as one string."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer)
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()


def _attachment(response, filename: str):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(header: Iterable | None, rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    """A small CSV download, built in memory."""
    return _attachment(HttpResponse(csv_text(header, rows), content_type=CSV_CONTENT_TYPE), filename)


def csv_stream_response(
    header: Iterable, rows: Iterable[Iterable], *, filename: str
) -> StreamingHttpResponse:
    """A CSV download streamed row by row (memory stays flat however many rows)."""
    return _attachment(
        StreamingHttpResponse(csv_lines(header, rows), content_type=CSV_CONTENT_TYPE), filename
    )


def xlsx_response(header: Iterable, rows: Iterable[Iterable], *, filename: str, title: str) -> FileResponse:
    """An XLSX download written row by row (openpyxl write-only) to a temporary file."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(title))
    sheet.append(row_safe(header))
    for values in rows:
        sheet.append(row_safe(values))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def xlsx_workbook_bytes(sheets: Iterable[tuple[str, Iterable, Iterable[Iterable]]]) -> bytes:
    """An XLSX file of several sheets, each (title, header, rows), formula-safe like every other download. Titles
    are cut to Excel's 31 characters and made unique."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for title, header, rows in sheets:
        name = str(title)[:31]
        n = 2
        while name in used:
            suffix = f"~{n}"
            name = str(title)[: 31 - len(suffix)] + suffix
            n += 1
        used.add(name)
        sheet = workbook.create_sheet(title=name)
        sheet.append(row_safe(header))
        for values in rows:
            sheet.append(row_safe(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
