"""The words of a check-in's trust reasons. A visit stores each reason as {"code", "params"} (visits.services.trust
writes them); the text is made when shown, in the reader's language."""

from django.utils.translation import gettext as _

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


def reason_text(reason: dict) -> str:
    p = reason.get("params", {})
    code = reason.get("code")
    if code == "too_far":
        return _("签到位置距店铺 %(m)s 米，超过签到半径 %(radius)s 米") % p
    if code == "no_location":
        return _("未定位（%(why)s）") % p
    if code == "accuracy":
        return _("定位精度约 %(m)s 米，差于 %(max)s 米") % p
    if code == "speed":
        return (
            _("与 %(other)s 在%(shop)s的签到相距 %(km)s 公里、仅隔 %(minutes)s 分钟（约 %(kmh)s 公里/小时）")
            % p
        )
    if code == "same_coordinates":
        return _("相同坐标也用于另外 %(n)s 家店铺的签到（%(shops)s）") % p
    if code == "device_clock":
        return _("手机时间与服务器相差 %(minutes)s 分钟") % p
    if code == "off_hours":
        return _("签到时间 %(time)s 不在工作时间 %(start)s–%(end)s 内") % p
    if code == "photo_time":
        return _("照片拍摄时间 %(taken)s 与签到时间相差 %(minutes)s 分钟") % p
    if code == "photo_place":
        return _("照片拍摄位置距签到位置 %(m)s 米") % p
    if code == "photo_reused":
        return _("照片与 %(date)s 在%(shop)s的走访照片相同") % p
    return str(code)
