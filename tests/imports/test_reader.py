"""accounts.imports.reader: encodings, delimiters, XLSX cells and header aliases."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.imports.models import ImportJob
from accounts.imports.reader import (
    detect_encoding,
    iter_rows,
    map_header,
    normalise_header,
    open_source,
)
from accounts.imports.retailers.columns import ALIASES as RETAILER_ALIASES
from tests.imports.helpers import retailer_row, table, validated_job, xlsx_bytes

HEADER = ["客户编码", "许可证号", "店铺名称", "负责人", "经营地址"]
ROWS = [
    ["LC00000001", "410302100001", "老城甲号便利店", "周甲", "河南省洛阳市老城区中州东路1号"],
    ["LC00000002", "410302100002", "西关烟酒商行", "吴乙", "河南省洛阳市老城区西关街88号"],
]
# 䶮 (U+4DAE) and 𠀀 (U+20000) have no GBK code: GB18030 writes them as four-byte sequences.
RARE_ROW = ["LC00000003", "410302100003", "刘䶮记𠀀烟酒店", "刘䶮", "河南省洛阳市老城区䶮字街3号"]


def write(tmp_path, content: bytes, name: str = "data.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def as_csv(header, rows, encoding: str, delimiter: str = ",") -> bytes:
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def read_all(path, encoding=None):
    return list(iter_rows(open_source(path, encoding=encoding)))


@pytest.mark.parametrize(
    ("encoding", "rows", "expected"),
    [
        ("utf-8", ROWS, "utf-8"),
        ("utf-8-sig", ROWS, "utf-8-sig"),
        ("gbk", ROWS, "gbk"),
        ("gb18030", [*ROWS, RARE_ROW], "gb18030"),
    ],
)
def test_each_supported_encoding_is_detected_and_chinese_text_reads_back(tmp_path, encoding, rows, expected):
    path = write(tmp_path, as_csv(HEADER, rows, encoding))
    assert detect_encoding(path) == expected
    source = open_source(path)
    assert source.format == "csv"
    assert source.encoding == expected
    assert list(iter_rows(source)) == [HEADER, *rows]


def test_bom_is_not_part_of_the_first_header(tmp_path):
    path = write(tmp_path, as_csv(HEADER, ROWS, "utf-8-sig"))
    header = read_all(path)[0]
    assert header[0] == "客户编码"
    assert not header[0].startswith("\ufeff")


def test_encoding_override_is_used_instead_of_detection(tmp_path):
    # The GB18030 bytes of a GBK-only text are identical to its GBK bytes: the user may name either.
    path = write(tmp_path, as_csv(HEADER, ROWS, "gbk"))
    source = open_source(path, encoding="gb18030")
    assert source.encoding == "gb18030"
    assert list(iter_rows(source))[1] == ROWS[0]


def test_wrong_encoding_override_is_refused_with_the_byte_position(tmp_path):
    path = write(tmp_path, as_csv(HEADER, ROWS, "gbk"))
    with pytest.raises(ValidationError) as info:
        read_all(path, encoding="utf-8")
    message = info.value.messages[0]
    assert "无法按 UTF-8 解码" in message
    assert "字节" in message


def test_unsupported_encoding_override_is_refused(tmp_path):
    path = write(tmp_path, as_csv(HEADER, ROWS, "utf-8"))
    with pytest.raises(ValidationError) as info:
        open_source(path, encoding="latin-1")
    assert info.value.messages == ["不支持的编码：latin-1"]


def test_utf16_file_is_refused_with_a_clear_chinese_message(tmp_path):
    # Excel's "Unicode text" is UTF-16: neither UTF-8 nor GB18030.
    path = write(tmp_path, as_csv(HEADER, ROWS, "utf-16"))
    with pytest.raises(ValidationError) as info:
        open_source(path)
    message = info.value.messages[0]
    assert message.startswith("无法识别文件编码")
    assert "请另存为 UTF-8 或 GBK" in message


def test_binary_garbage_is_refused(tmp_path):
    garbage = (
        bytes(range(256)) * 64
    )  # every byte value, including 0x80 and 0xFF which no supported codec allows
    path = write(tmp_path, garbage)
    with pytest.raises(ValidationError) as info:
        open_source(path)
    assert "无法识别文件编码" in info.value.messages[0]


def test_traditional_chinese_big5_is_refused_with_its_own_message(tmp_path):
    header = ["客戶編碼", "許可證號", "店鋪名稱", "負責人", "經營地址"]
    rows = [["LC00000001", "410302100001", "老城甲號便利店", "周甲", "河南省洛陽市老城區中州東路1號"]]
    path = write(tmp_path, as_csv(header, rows, "big5"))
    with pytest.raises(ValidationError) as info:
        open_source(path)
    assert "Big5" in info.value.messages[0]


def test_tab_separated_text_is_read_by_its_delimiter(tmp_path):
    rows = [[*ROWS[0][:2], "老城,甲号便利店", *ROWS[0][3:]]]  # a comma inside a cell must stay in the cell
    path = write(tmp_path, as_csv(HEADER, rows, "gbk", delimiter="\t"), name="data.txt")
    assert read_all(path) == [HEADER, rows[0]]


def test_cells_are_stripped_and_quoted_commas_kept(tmp_path):
    content = '客户编码,店铺名称\r\n LC1 ,"老城, 甲号店"\r\n'.encode()
    path = write(tmp_path, content)
    assert read_all(path) == [["客户编码", "店铺名称"], ["LC1", "老城, 甲号店"]]


def test_xlsx_is_recognised_by_its_content_not_its_name(tmp_path):
    path = write(tmp_path, xlsx_bytes(HEADER, ROWS), name="exported.csv")
    source = open_source(path)
    assert source.format == "xlsx"
    assert source.encoding is None
    assert read_all(path) == [HEADER, *ROWS]


def test_xlsx_dates_numbers_and_blanks_are_read_as_text_a_person_would_type(tmp_path):
    header = ["许可证号", "发证日期", "时间", "档位", "面积", "纬度", "手机号", "备注"]
    rows = [
        [
            410302100001,  # a number cell: no ".0", no exponent
            datetime.date(2023, 5, 1),
            datetime.datetime(2023, 5, 1, 8, 30),  # noqa: DTZ001 - Excel cells carry no time zone
            12.0,
            35.5,
            34.682,
            13800001234,
            None,
        ],
        [None, None, None, None, None, None, None, None],  # an empty row is skipped
        [
            "410302100002",
            datetime.datetime(2024, 2, 29),  # noqa: DTZ001 - Excel cells carry no time zone
            None,
            "12档",
            0,
            0.0,
            "138 0000 1235",
            " 备注 ",
        ],
    ]
    path = write(tmp_path, xlsx_bytes(header, rows), name="data.xlsx")
    read = read_all(path)
    assert read[0] == header
    assert read[1] == [
        "410302100001",
        "2023-05-01",
        "2023-05-01T08:30:00",
        "12",
        "35.5",
        "34.682",
        "13800001234",
        "",
    ]
    assert read[2] == ["410302100002", "2024-02-29", "", "12档", "0", "0", "138 0000 1235", "备注"]
    assert len(read) == 3


def test_damaged_xlsx_is_refused_with_a_chinese_message(tmp_path):
    content = xlsx_bytes(HEADER, ROWS)[:200]  # starts like a zip, but is cut off
    path = write(tmp_path, content, name="broken.xlsx")
    with pytest.raises(ValidationError) as info:
        read_all(path)
    assert info.value.messages[0].startswith("无法读取 Excel 文件")


@pytest.mark.parametrize(
    ("title", "field"),
    [
        ("许可证号", "licence_no"),
        ("专卖许可证号", "licence_no"),
        ("License_No", "licence_no"),
        ("licence", "licence_no"),
        ("licence_no", "licence_no"),
        ("手机号码*", "mobile"),
        ("联系电话", "mobile"),
        ("Phone", "mobile"),
        ("（档位）", "tier"),
        ("客户档位：", "tier"),
        ("店 铺 名 称", "shop_name"),
        ("【经营地址】", "address"),
        ("所属营销部", "org_unit"),
        ("Department", "org_unit"),
        ("线路编码", "route"),
        ("E-mail", "email"),
    ],
)
def test_header_aliases_map_chinese_and_english_titles(title, field):
    mapping, unknown = map_header(["占位", title], RETAILER_ALIASES)
    assert mapping == {field: 1}
    assert unknown == ["占位"]


def test_unknown_columns_are_reported_and_blank_titles_ignored():
    mapping, unknown = map_header(["许可证号", "备注", "", "微信号", "许可证号码"], RETAILER_ALIASES)
    # the first column of a field wins; a second one for the same field is neither mapped nor "unknown"
    assert mapping == {"licence_no": 0}
    assert unknown == ["备注", "微信号"]


def test_normalise_header_drops_marks_and_case():
    assert normalise_header(" 手机号码 * ") == "手机号码"
    assert normalise_header("Shop_Name") == "shop_name"
    assert normalise_header("经营面积(㎡)") == "经营面积㎡"


def test_validation_reports_unknown_columns_and_the_column_mapping(county_a_world):
    rows = [{**retailer_row(1), "微信号": "wx123", "备注": "老客户"}]
    header, body = table(rows)
    content = ("\r\n".join(",".join(r) for r in [header, *body]) + "\r\n").encode("gbk")
    job = validated_job(user=county_a_world, content=content)
    assert job.status == ImportJob.Status.VALIDATED
    assert job.encoding == "gbk"
    assert job.unknown_columns == ["微信号", "备注"]
    assert job.column_mapping["licence_no"] == "许可证号"
    assert job.column_mapping["route"] == "服务线路"
    assert job.valid_rows == 1


def test_validation_fails_the_job_with_a_chinese_message_for_an_unreadable_file(county_a_world):
    job = validated_job(user=county_a_world, content="客户编码\r\n老城\r\n".encode("utf-16"))
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("无法识别文件编码")


def test_validation_names_the_missing_required_columns(county_a_world):
    row = retailer_row(1)
    del row["许可证号"], row["手机号"]
    header, body = table([row])
    content = ("\r\n".join(",".join(r) for r in [header, *body])).encode()
    job = validated_job(user=county_a_world, content=content)
    assert job.status == ImportJob.Status.FAILED
    assert "缺少必填列" in job.message
    assert "许可证号" in job.message
    assert "手机号" in job.message


def test_validation_of_a_header_only_file_says_there_are_no_rows(county_a_world):
    job = validated_job(user=county_a_world, content=",".join(retailer_row(1)).encode())
    assert job.status == ImportJob.Status.VALIDATED
    assert job.total_rows == 0
    assert job.message == "文件只有表头，没有数据行。"


def test_encoding_override_on_the_job_is_honoured(county_a_world):
    header, body = table([retailer_row(1)])
    content = ("\r\n".join(",".join(r) for r in [header, *body])).encode("gbk")
    job = validated_job(user=county_a_world, content=content, encoding="gb18030")
    assert job.encoding == "gb18030"
    assert job.valid_rows == 1
    wrong = validated_job(user=county_a_world, content=content, encoding="utf-8")
    assert wrong.status == ImportJob.Status.FAILED
    assert "无法按 UTF-8 解码" in wrong.message
