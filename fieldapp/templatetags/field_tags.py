"""{% pwa_i18n %}: the words of static/js/pwa.js (it runs offline, so they come with the page)."""

from django import template
from django.utils.html import json_script
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def pwa_i18n():
    return json_script(
        {
            "q_count": _("%s 条待上传"),
            "q_stuck": _("%s 条未入账"),
            "q_photos": _("%s 张照片"),
            "q_dismiss": _("知道了，从本机移除"),
            "q_network": _("网络不通，联网后自动上传"),
            "q_session": _("登录已失效，重新登录后自动上传"),
            "q_retry": _("服务器暂不可用（%s），稍后自动重试"),
            "s_queued": _("待上传"),
            "s_sending": _("上传中"),
            "s_failed": _("等待重试"),
            "s_refused": _("未入账，已转交主管"),
            "s_rejected": _("未入账，需修改"),
            "page_age": _("离线副本：更新于 %s（%s 分钟前）"),
            "offline_now": _("当前无网络。"),
            "logout_confirm": _("还有 %s 条走访未上传，退出将从本机删除。确定退出？"),
        },
        "pwa-i18n",
    )
