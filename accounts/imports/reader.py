"""Turn an uploaded file into a header and a stream of rows, whatever its encoding or format."""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

SNIFF_BYTES = 256 * 1024
SUPPORTED_ENCODINGS = ("utf-8", "utf-8-sig", "gbk", "gb18030")
ENCODING_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "gbk": "GBK", "gb18030": "GB18030"}
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class SourceFile:
    path: Path
    format: str  # "csv" or "xlsx"
    encoding: str | None  # None for xlsx
    header: list[str] = field(default_factory=list)


def detect_format(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
    if head == XLSX_MAGIC:
        return "xlsx"
    return "csv"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, else GB18030 (a superset of GBK that also
    decodes GB2312), checked by charset-normalizer; anything else is refused with a clear message."""
    with path.open("rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    trimmed = _trim_partial_char(sample)
    try:
        trimmed.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        trimmed.decode("gb18030")
    except UnicodeDecodeError:
        best = from_bytes(sample).best()
        guess = best.encoding if best else "?"
        raise ValidationError(
            _("无法识别文件编码（猜测为 %(guess)s）。请另存为 UTF-8 或 GBK 编码的 CSV，或 Excel 文件。")
            % {"guess": guess}
        ) from None
    best = from_bytes(sample, cp_isolation=["gb18030", "gbk", "gb2312", "big5"]).best()
    if best is not None and best.encoding == "big5":
        raise ValidationError(_("文件似乎是繁体 Big5 编码，请另存为 UTF-8 或 GBK 编码后再导入。"))
    # charset-normalizer names equivalent decodings after the first one tried (gb18030) and lists the others
    # in could_be_from_charset: a file that GBK decodes too is a GBK file.
    return "gbk" if best is not None and {"gbk", "gb2312"} & set(best.could_be_from_charset) else "gb18030"


def _trim_partial_char(sample: bytes) -> bytes:
    # A sniffed block may end inside a multi-byte character; drop up to 3 trailing bytes before decoding.
    return sample if len(sample) < SNIFF_BYTES else sample[: len(sample) - 3]


def open_source(path: Path, *, encoding: str | None = None) -> SourceFile:
    fmt = detect_format(path)
    if fmt == "xlsx":
        return SourceFile(path=path, format="xlsx", encoding=None)
    if encoding:
        if encoding not in SUPPORTED_ENCODINGS:
            raise ValidationError(_("不支持的编码：%(enc)s") % {"enc": encoding})
    else:
        encoding = detect_encoding(path)
    return SourceFile(path=path, format="csv", encoding=encoding)


def iter_rows(source: SourceFile) -> Iterator[list[str]]:
    """Every row as a list of stripped strings, the header first. Streams: memory does not grow with the file."""
    if source.format == "xlsx":
        yield from _iter_xlsx(source.path)
        return
    # GB18030 is a superset of GBK: a GBK file with one rare character past the sniffed block still reads.
    codec = "gb18030" if source.encoding == "gbk" else source.encoding
    with source.path.open("r", encoding=codec, newline="", errors="strict") as fh:
        try:
            sample = fh.read(8192)
            fh.seek(0)
            delimiter = _sniff_delimiter(sample)
            for row in csv.reader(fh, delimiter=delimiter):
                yield [cell.strip() for cell in row]
        except UnicodeDecodeError as exc:
            raise ValidationError(
                _("文件在第 %(pos)s 字节处无法按 %(enc)s 解码，请确认编码后重新上传。")
                % {"pos": exc.start, "enc": ENCODING_LABELS.get(source.encoding, source.encoding)}
            ) from exc


def _sniff_delimiter(sample: str) -> str:
    first_line = sample.splitlines()[0] if sample else ""
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


class FormulaWithoutValue(str):
    """An XLSX cell holding a formula whose result Excel never saved (a file written by a program, not by Excel):
    empty as text, but the import says so instead of "cannot be empty". `formula` is the formula's text."""

    formula: str = ""

    def __new__(cls, formula: str):
        cell = super().__new__(cls, "")
        cell.formula = formula
        return cell


def _iter_xlsx(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    # A file object, not the path: openpyxl refuses a path whose name does not end in .xlsx, and the format
    # was recognised by content (an Excel file saved as "data.csv" is still an Excel file). Cells are read by
    # their cached value (what Excel showed); a second reader of the same sheet gives the formulas, so a formula
    # cell without a cached value is told apart from an empty one.
    with path.open("rb") as fh, path.open("rb") as formulas_fh:
        try:
            workbook = load_workbook(fh, read_only=True, data_only=True)
            formulas = load_workbook(formulas_fh, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise ValidationError(_("无法读取 Excel 文件：%(err)s") % {"err": exc}) from exc
        try:
            rows = workbook.worksheets[0].iter_rows(values_only=True)
            formula_rows = formulas.worksheets[0].iter_rows(values_only=True)
            for row, formula_row in zip(rows, formula_rows, strict=False):
                cells = [
                    _xlsx_cell(v, f) for v, f in zip(row, (*formula_row, *([None] * len(row))), strict=False)
                ]
                if any(cells) or any(isinstance(c, FormulaWithoutValue) for c in cells):
                    yield cells
        finally:
            workbook.close()
            formulas.close()


def _xlsx_cell(value, formula=None) -> str:
    import datetime

    if value is None:
        if isinstance(formula, str) and formula.startswith("="):
            return FormulaWithoutValue(formula)
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time(0) else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_HEADER_CLEAN = re.compile(r"[\s\*＊:：()（）\[\]【】]")


def normalise_header(text: str) -> str:
    return _HEADER_CLEAN.sub("", text or "").lower()


def map_header(header: list[str], aliases: dict[str, tuple[str, ...]]) -> tuple[dict[str, int], list[str]]:
    """Map each known field to its column index by the documented aliases (Chinese or English);
    return the mapping and the columns nobody asked for."""
    lookup = {normalise_header(alias): name for name, names in aliases.items() for alias in (name, *names)}
    mapping: dict[str, int] = {}
    unknown: list[str] = []
    for index, title in enumerate(header):
        name = lookup.get(normalise_header(title))
        if name is None:
            if title:
                unknown.append(title)
        elif name not in mapping:
            mapping[name] = index
    return mapping, unknown


def rows_to_csv_bytes(header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    """Helper for error reports and tests: rows as CSV bytes in the given encoding."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
