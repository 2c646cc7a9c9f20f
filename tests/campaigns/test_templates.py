"""Template rules: the SMS signature and opt-out wording (refused with the reason otherwise), the character and
billable-segment counter, the email parts, rendering against a real retailer, and the signed personal links."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from campaigns import templating
from campaigns.models import Channel
from campaigns.services.templates import template_create, template_update
from core import links
from core.errors import ConflictError
from tests.campaigns.factories import EmailTemplateFactory, sms_body

GOOD_SMS = sms_body()


def sms_problems(body):
    return templating.template_problems(channel="sms", subject="", body=body, html_body="")


def test_an_sms_template_with_signature_and_opt_out_wording_is_accepted():
    assert sms_problems(GOOD_SMS) == {}


def test_an_sms_template_without_the_signature_is_refused_with_the_reason():
    problems = sms_problems("本周新品到货，欢迎订购。回T退订")
    assert problems["body"] == ["短信必须以签名 【烟草公司】 开头（工信部短信规定）。"]


def test_an_sms_template_with_the_signature_elsewhere_is_refused():
    assert "body" in sms_problems("本周新品到货【烟草公司】，欢迎订购。回T退订")


def test_an_sms_template_without_the_opt_out_wording_is_refused_with_the_reason():
    problems = sms_problems("【烟草公司】本周新品到货，欢迎订购。")
    assert problems["body"] == ["短信必须包含退订方式“回T退订”（工信部短信规定）。"]


def test_unknown_variables_and_broken_braces_are_refused():
    assert sms_problems("【烟草公司】{{ password }}回T退订")["body"] == ["未知的变量：password"]
    assert sms_problems("【烟草公司】{{ shop_name 回T退订")["body"] == ["变量写法应为 {{ 变量名 }}。"]


def test_the_signature_comes_from_the_settings(settings):
    settings.CAMPAIGNS_SMS_SIGNATURE = "【洛阳烟草】"
    assert "body" in sms_problems(GOOD_SMS)
    assert sms_problems("【洛阳烟草】您好回T退订") == {}


@pytest.mark.parametrize(
    ("length", "segments"),
    [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_sms_segments_are_70_for_one_message_and_67_per_part(length, segments):
    assert templating.sms_segments("字" * length) == segments


def test_sms_length_counts_what_the_carrier_counts():
    assert templating.sms_length("【烟草公司】abc") == 9
    assert templating.sms_length("😀") == 2  # outside the BMP: two UTF-16 units


def test_an_email_template_needs_subject_html_and_an_unsubscribe_link():
    problems = templating.template_problems(channel="email", subject="", body="您好", html_body="")
    assert problems["subject"] == ["请填写邮件主题。"]
    assert problems["html_body"] == ["请填写邮件的 HTML 正文。"]
    assert problems["body"] == ["邮件正文必须包含退订链接 {{ unsubscribe_url }}。"]


def test_template_create_refuses_a_bad_sms_and_saves_a_good_one(supervisor_a, county_a):
    with pytest.raises(ValidationError) as error:
        template_create(actor=supervisor_a, data={"name": "无签名", "channel": "sms", "body": "您好回T退订"})
    assert "body" in error.value.message_dict
    template = template_create(
        actor=supervisor_a, data={"name": "新品", "channel": "sms", "body": f"  {GOOD_SMS} "}
    )
    assert (template.org_unit, template.created_by, template.body) == (county_a, supervisor_a, GOOD_SMS)


def test_a_manager_may_not_write_templates(manager_a):
    with pytest.raises(PermissionDenied):
        template_create(actor=manager_a, data={"name": "x", "channel": "sms", "body": GOOD_SMS})


def test_a_template_in_use_by_an_approved_campaign_cannot_change(supervisor_a, sms_template):
    from tests.campaigns.factories import CampaignFactory

    CampaignFactory(
        template=sms_template, org_unit=sms_template.org_unit, created_by=supervisor_a, state="approved"
    )
    with pytest.raises(ConflictError):
        template_update(actor=supervisor_a, template=sms_template, data={"body": sms_body("改了")})


def test_render_fills_a_real_retailers_values_and_escapes_html(retailer_a, county_a, supervisor_a):
    from accounts.models import Retailer

    Retailer.objects.filter(pk=retailer_a.pk).update(shop_name="<b>老城</b>甲号店")
    retailer_a.refresh_from_db()
    template = EmailTemplateFactory(org_unit=county_a, created_by=supervisor_a)
    recipient = templating.Recipient(
        delivery_id=42, retailer_id=retailer_a.pk, shop_name=retailer_a.shop_name, owner_name="周甲"
    )

    [rendered] = templating.render_many(template=template, recipients=[recipient], context={})

    assert rendered.subject == "<b>老城</b>甲号店：本周货源通知"  # a header is text, not HTML
    assert "<p>周甲您好" in rendered.html
    assert "&lt;b&gt;" not in rendered.subject
    assert templating.unsubscribe_url(42) in rendered.text
    assert templating.unsubscribe_url(42) in rendered.html


def test_variables_another_app_supplies_render_empty_until_registered():
    with templating.VARIABLE_PROVIDERS.overridden("points_balance", None):  # loyalty supplies it
        _render_empty_then_registered()


def _render_empty_then_registered():
    template = EmailTemplateFactory.build(channel=Channel.SMS, body=sms_body("积分{{ points_balance }}分"))
    recipient = templating.Recipient(delivery_id=1, retailer_id=7)
    assert templating.render_many(template=template, recipients=[recipient], context={})[0].text == sms_body(
        "积分分"
    )
    assert templating.missing_providers(template.body) == ["points_balance"]

    with templating.VARIABLE_PROVIDERS.overridden("points_balance", lambda ids: {7: "1200"}):
        assert (
            "积分1200分"
            in templating.render_many(template=template, recipients=[recipient], context={})[0].text
        )


def test_link_codes_are_signed_and_a_tampered_code_is_refused():
    code = templating.link_code("u", 123456)
    assert templating.link_code_parse("u", code) == 123456
    assert templating.link_code_parse("l", code) is None  # an unsubscribe code is not a click code
    value, _sep, signature = code.partition("-")
    assert templating.link_code_parse("u", f"{links._b62(123457)}-{signature}") is None
    assert templating.link_code_parse("u", value) is None
    assert templating.link_code_parse("u", "") is None
    assert templating.link_code_parse("u", "!!-x") is None


def test_codes_in_messages_already_sent_still_open(settings):
    """The codes made before the one scheme (campaigns' own HMAC under its salts) are the codes made now."""
    from django.core import signing

    for kind, salt in (("u", "campaigns.unsubscribe"), ("l", "campaigns.click")):
        old = "W7E-" + signing.base64_hmac(salt, "W7E", settings.SECRET_KEY, algorithm="sha256")[:10]
        assert templating.link_code(kind, 123456) == old
        assert templating.link_code_parse(kind, old) == 123456
