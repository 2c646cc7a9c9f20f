"""Factories for outreach: templates (valid by the SMS rules unless told otherwise) and campaigns."""

import factory
from django.conf import settings

from campaigns.models import Campaign, Channel, MessageTemplate


def sms_body(text: str = "{{ owner_name }}您好，本周新品到货，欢迎订购。") -> str:
    return f"{settings.CAMPAIGNS_SMS_SIGNATURE}{text}{settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}"


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    name = factory.Sequence(lambda n: f"模板{n}")
    channel = Channel.SMS
    body = factory.LazyFunction(sms_body)


class EmailTemplateFactory(TemplateFactory):
    channel = Channel.EMAIL
    subject = "{{ shop_name }}：本周货源通知"
    body = "{{ owner_name }}您好：本周新品到货。退订：{{ unsubscribe_url }}"
    html_body = "<p>{{ owner_name }}您好：本周新品到货。</p><p><a href='{{ unsubscribe_url }}'>退订</a></p>"


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"活动{n}")
    channel = Channel.SMS
    holdout_pct = 0
    quiet_start = None
    quiet_end = None
