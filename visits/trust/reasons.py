"""The words of a check-in's trust reasons. A visit stores each reason as {"code", "params"} (visits.trust.services
writes them); the text is made when shown, in the reader's language, through core.messages (the codes are
registered there as "visit.<code>" from VisitsConfig.ready())."""

from django.utils.translation import gettext_lazy as _

from core.messages import system_message_register, system_message_text

REASON_CODES = (
    "too_far",
    "no_location",
    "accuracy",
    "speed",
    "same_coordinates",
    "device_clock",
    "off_hours",
    "photo_time",
    "photo_place",
    "photo_reused",
)
PREFIX = "visit."


def register() -> None:
    templates = {
        "too_far": _("签到位置距店铺 %(m)s 米，超过签到半径 %(radius)s 米"),
        "no_location": _("未定位（%(why)s）"),
        "accuracy": _("定位精度约 %(m)s 米，差于 %(max)s 米"),
        "speed": _(
            "与 %(other)s 在%(shop)s的签到相距 %(km)s 公里、仅隔 %(minutes)s 分钟（约 %(kmh)s 公里/小时）"
        ),
        "same_coordinates": _("相同坐标也用于另外 %(n)s 家店铺的签到（%(shops)s）"),
        "device_clock": _("手机时间与服务器相差 %(minutes)s 分钟"),
        "off_hours": _("签到时间 %(time)s 不在工作时间 %(start)s–%(end)s 内"),
        "photo_time": _("照片拍摄时间 %(taken)s 与签到时间相差 %(minutes)s 分钟"),
        "photo_place": _("照片拍摄位置距签到位置 %(m)s 米"),
        "photo_reused": _("照片与 %(date)s 在%(shop)s的走访照片相同"),
    }
    for code in REASON_CODES:  # a code without words fails here, at start-up
        system_message_register(PREFIX + code, templates[code], by="visits")


def reason_text(reason: dict) -> str:
    code = str(reason.get("code"))
    return system_message_text({"code": PREFIX + code, "params": reason.get("params", {})}, text=code)
