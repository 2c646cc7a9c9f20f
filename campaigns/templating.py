"""Message templates: the {{ variable }} syntax, the SMS rules (signature, opt-out wording, length) and the
character / billable-segment count, rendering for a batch of recipients, and the personal signed links.

Templates are not Django templates on purpose: a supervisor writes them, so only the whitelisted variables
below exist and nothing else in the process can be reached from a template."""

import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.links import link_purpose_register, short_code_make, short_code_read
from core.registry import Registry

VARIABLE_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
SIGNATURE_RE = re.compile(r"^【[^【】]{3,8}】$")
SMS_SINGLE_CHARS = 70
SMS_PART_CHARS = 67
SMS_MAX_CHARS = 500

# name -> label shown in the editor's variable picker
VARIABLES: dict[str, str] = {
    "shop_name": gettext_lazy("店铺名称"),
    "owner_name": gettext_lazy("负责人"),
    "tier": gettext_lazy("档位"),
    "customer_manager": gettext_lazy("客户经理"),
    "licence_expires_on": gettext_lazy("许可证有效期"),
    "licence_days_left": gettext_lazy("许可证剩余天数"),
    "points_balance": gettext_lazy("积分余额"),
    "allowance": gettext_lazy("货源额度"),
    "violation": gettext_lazy("最近违规及整改要求"),
    "recommended_products": gettext_lazy("推荐品规"),
    "holiday": gettext_lazy("节日名称"),
    "product": gettext_lazy("品规（退市/新品）"),
    "substitute": gettext_lazy("替代品规"),
    "link": gettext_lazy("活动链接（统计点击）"),
    "unsubscribe_url": gettext_lazy("退订链接"),
    "survey_url": gettext_lazy("满意度调查链接"),
    "points_url": gettext_lazy("积分查询链接"),
    "portal_url": gettext_lazy("零售户服务页链接"),
}

# Variables whose value another app supplies (loyalty: points; feedback: the survey and portal links; campaigns'
# own supply module: allowance and violation); until one is registered the variable renders empty and the editor
# says so.
VARIABLE_PROVIDERS: Registry[str, Callable[[list[int]], dict[int, str]]] = Registry(
    "template-variables",
    owner="campaigns",
    doc="variable name -> provider(retailer_ids) -> {retailer_id: text}, one call per send batch, filled from the "
    "supplying app's AppConfig.ready()",
)
PROVIDED_VARIABLES = ("points_balance", "allowance", "survey_url", "points_url", "portal_url", "violation")


@dataclass
class Recipient:
    """What a template may say about one recipient (filled from the claim query, or from a retailer)."""

    delivery_id: int | None
    retailer_id: int
    shop_name: str = ""
    owner_name: str = ""
    tier: int | None = None
    customer_manager: str = ""
    licence_expires_on: object = None
    licence_days_left: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    # variables another app provides (survey link, allowance…) that it had no value for, for this recipient: such a
    # message would go out with a hole in it (a survey invitation without its link), so the sender skips it
    missing: tuple[str, ...] = ()


def variables_used(*texts: str) -> list[str]:
    found = []
    for text in texts:
        for name in VARIABLE_RE.findall(text or ""):
            if name not in found:
                found.append(name)
    return found


def sms_length(text: str) -> int:
    """Characters as the carriers count them: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def sms_segments(text: str) -> int:
    """Billable messages: one up to 70 characters, else 67 per part of a concatenated message."""
    length = sms_length(text)
    if length == 0:
        return 0
    return 1 if length <= SMS_SINGLE_CHARS else math.ceil(length / SMS_PART_CHARS)


def sms_signature() -> str:
    return settings.CAMPAIGNS_SMS_SIGNATURE


def template_problems(*, channel: str, subject: str, body: str, html_body: str) -> dict[str, list[str]]:
    """Why a template may not be saved, by field; empty when it may. The reasons are shown to the author."""
    problems: dict[str, list[str]] = {}

    def add(name, message):
        problems.setdefault(name, []).append(message)

    texts = {"subject": subject, "body": body, "html_body": html_body}
    for name, text in texts.items():
        unknown = [v for v in variables_used(text) if v not in VARIABLES]
        if unknown:
            add(name, _("未知的变量：%(names)s") % {"names": "、".join(unknown)})
        leftovers = VARIABLE_RE.sub("", text or "")
        if "{{" in leftovers or "}}" in leftovers:
            add(name, _("变量写法应为 {{ 变量名 }}。"))
    if not (body or "").strip():
        add("body", _("请填写正文。"))
    if channel == "sms":
        signature = sms_signature()
        text = (body or "").strip()
        if not text.startswith(signature):
            add(
                "body",
                _("短信必须以签名 %(signature)s 开头（工信部短信规定）。") % {"signature": signature},
            )
        if settings.CAMPAIGNS_SMS_OPT_OUT_TEXT not in text:
            add(
                "body",
                _("短信必须包含退订方式“%(text)s”（工信部短信规定）。")
                % {"text": settings.CAMPAIGNS_SMS_OPT_OUT_TEXT},
            )
        if sms_length(text) > SMS_MAX_CHARS:
            add("body", _("短信不能超过 %(n)s 个字。") % {"n": SMS_MAX_CHARS})
        if html_body or subject:
            add("html_body", _("短信模板没有主题和 HTML 正文。"))
    else:
        if not (subject or "").strip():
            add("subject", _("请填写邮件主题。"))
        if not (html_body or "").strip():
            add("html_body", _("请填写邮件的 HTML 正文。"))
        for name in ("body", "html_body"):
            if texts[name] and "unsubscribe_url" not in variables_used(texts[name]):
                add(name, _("邮件正文必须包含退订链接 {{ unsubscribe_url }}。"))
    return problems


# ---- personal links ----------------------------------------------------------------------------------------------
# The unsubscribe and click links inside a message are core.links short codes (one scheme for every retailer link):
# a delivery id and 10 characters of HMAC, under the salts they have always had, so codes already sent still open.
# They carry no time: an unsubscribe link must keep working as long as the message exists.
UNSUBSCRIBE = "unsubscribe"
CLICK = "click"
# the kind of a short link, the letter its path starts with (/u/<code>, /l/<code>) -> the purpose it is signed for
SHORT_LINK_KINDS = {"u": UNSUBSCRIBE, "l": CLICK}


def link_purposes_register() -> None:
    """The purposes of the links inside messages (called from CampaignsConfig.ready())."""
    link_purpose_register(
        purpose=UNSUBSCRIBE, max_age=None, salt="campaigns.unsubscribe", short=True, by="campaigns"
    )
    link_purpose_register(purpose=CLICK, max_age=None, salt="campaigns.click", short=True, by="campaigns")


def link_code(kind: str, delivery_id: int) -> str:
    return short_code_make(purpose=SHORT_LINK_KINDS[kind], number=delivery_id)


def link_code_parse(kind: str, code: str) -> int | None:
    """The delivery id a signed link code stands for, or None if the code was not made by us."""
    return short_code_read(purpose=SHORT_LINK_KINDS[kind], code=code)


def public_url(path: str) -> str:
    return settings.CAMPAIGNS_PUBLIC_BASE_URL.rstrip("/") + path


def unsubscribe_url(delivery_id: int) -> str:
    return public_url(f"/u/{link_code('u', delivery_id)}")


def click_url(delivery_id: int) -> str:
    return public_url(f"/l/{link_code('l', delivery_id)}")


# ---- rendering --------------------------------------------------------------------------------------------------
def _values(recipient: Recipient, context: dict, provided: dict[str, dict[int, str]], used) -> dict[str, str]:
    """The values of the variables `used`; only those are computed (a signed link costs an HMAC)."""
    delivery_id = recipient.delivery_id
    makers = {
        "shop_name": lambda: recipient.shop_name,
        "owner_name": lambda: recipient.owner_name,
        "tier": lambda: "" if recipient.tier is None else str(recipient.tier),
        "customer_manager": lambda: recipient.customer_manager,
        "licence_expires_on": lambda: (
            recipient.licence_expires_on.strftime("%Y年%-m月%-d日") if recipient.licence_expires_on else ""
        ),
        "licence_days_left": lambda: (
            "" if recipient.licence_days_left is None else str(recipient.licence_days_left)
        ),
        "link": lambda: click_url(delivery_id) if delivery_id and context.get("link_url") else "",
        "unsubscribe_url": lambda: unsubscribe_url(delivery_id) if delivery_id else public_url("/u/预览"),
    }
    values = {}
    for name in used:
        if name in recipient.extra:
            values[name] = str(recipient.extra[name])
        elif name in makers:
            values[name] = makers[name]()
        elif name in PROVIDED_VARIABLES:
            values[name] = provided.get(name, {}).get(recipient.retailer_id, "")
        else:
            values[name] = str(context.get(name, ""))
    return values


def _fill(text: str, values: dict[str, str], *, escape: bool) -> str:
    def one(match):
        value = values.get(match.group(1), "")
        return html.escape(value) if escape else value

    return VARIABLE_RE.sub(one, text or "")


def provided_values(names: Iterable[str], retailer_ids: list[int]) -> dict[str, dict[int, str]]:
    """One call per registered provider for the whole batch (never one per recipient)."""
    return {
        name: VARIABLE_PROVIDERS[name](retailer_ids)
        for name in set(names)
        if name in VARIABLE_PROVIDERS and retailer_ids
    }


def render_many(*, template, recipients: list[Recipient], context: dict) -> list[Rendered]:
    """Render `template` for every recipient of a batch; HTML values are escaped."""
    used = variables_used(template.subject, template.body, template.html_body)
    provided = provided_values(
        [v for v in used if v in PROVIDED_VARIABLES], [r.retailer_id for r in recipients]
    )
    provided_used = [v for v in used if v in PROVIDED_VARIABLES]
    rendered = []
    for recipient in recipients:
        values = _values(recipient, context, provided, used)
        rendered.append(
            Rendered(
                subject=_fill(template.subject, values, escape=False),
                text=_fill(template.body, values, escape=False).strip(),
                html=_fill(template.html_body, values, escape=True),
                missing=tuple(name for name in provided_used if not values.get(name)),
            )
        )
    return rendered


def missing_providers(*texts: str) -> list[str]:
    """Variables used that no installed app supplies yet (they render empty)."""
    return [v for v in variables_used(*texts) if v in PROVIDED_VARIABLES and v not in VARIABLE_PROVIDERS]


PREVIEW_LINK_CODE = "PREVIEW-0000000000"  # as long as a real code, signed for nothing
# Provided variables that are a retailer's own signed link: a preview (shown to staff) must never carry a live one
PROVIDED_LINKS = ("survey_url", "points_url", "portal_url")


def preview_link(url: str) -> str:
    """A retailer's link with its token replaced by a dummy of the same length (the SMS count stays right)."""
    head, _sep, tail = url.rstrip("/").rpartition("/")
    dummy = ("PREVIEW" + "0" * len(tail))[: len(tail)]
    return f"{head}/{dummy}" + ("/" if url.endswith("/") else "")


def recipient_for(retailer) -> Recipient:
    """A retailer's values, as the claim query would give them (for a preview)."""
    from django.utils import timezone

    manager = retailer.route.manager if retailer.route_id and retailer.route.manager_id else None
    return Recipient(
        delivery_id=None,
        retailer_id=retailer.pk,
        shop_name=retailer.shop_name,
        owner_name=retailer.owner_name,
        tier=retailer.tier,
        customer_manager=(manager.display_name or manager.username) if manager else "",
        licence_expires_on=retailer.licence_expires_on,
        licence_days_left=(retailer.licence_expires_on - timezone.localdate()).days,
    )


@dataclass
class Preview:
    rendered: Rendered
    problems: dict
    characters: int
    segments: int
    missing: list


def preview(*, channel: str, subject: str, body: str, html_body: str, retailer=None, context=None) -> Preview:
    """What the template says to one real retailer, with the rules it breaks and its SMS length."""
    from types import SimpleNamespace

    template = SimpleNamespace(subject=subject or "", body=body or "", html_body=html_body or "")
    recipient = (
        recipient_for(retailer) if retailer is not None else Recipient(delivery_id=None, retailer_id=0)
    )
    context = {"link_url": "preview", **(context or {})}
    used = variables_used(template.subject, template.body, template.html_body)
    provided = provided_values([v for v in used if v in PROVIDED_VARIABLES], [recipient.retailer_id])
    values = _values(recipient, context, provided, used)
    for name in ("link", "unsubscribe_url"):
        if name in values:
            values[name] = public_url(f"/{'l' if name == 'link' else 'u'}/{PREVIEW_LINK_CODE}")
    for name in PROVIDED_LINKS:
        if values.get(name):
            values[name] = preview_link(values[name])
    rendered = Rendered(
        subject=_fill(template.subject, values, escape=False),
        text=_fill(template.body, values, escape=False).strip(),
        html=_fill(template.html_body, values, escape=True),
    )
    problems = template_problems(channel=channel, subject=subject, body=body, html_body=html_body)
    return Preview(
        rendered=rendered,
        problems=problems,
        characters=sms_length(rendered.text),
        segments=sms_segments(rendered.text),
        missing=missing_providers(template.subject, template.body, template.html_body),
    )
