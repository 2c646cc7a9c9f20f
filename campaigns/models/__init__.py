"""Outreach: message templates, campaigns (a saved segment × template × channel × schedule), triggered journeys,
one delivery row per recipient (the send log), and the replies that come back from the SMS gateway. Django finds
the models here; each is defined in the module of its subject."""

from campaigns.models.campaigns import QUIET_END_DEFAULT, QUIET_START_DEFAULT, Campaign
from campaigns.models.deliveries import Delivery, InboundReply, SendBucket
from campaigns.models.journeys import Journey
from campaigns.models.templates import Channel, MessageTemplate, Purpose
from campaigns.models.uplift import CampaignUplift

__all__ = [
    "QUIET_END_DEFAULT",
    "QUIET_START_DEFAULT",
    "Campaign",
    "CampaignUplift",
    "Channel",
    "Delivery",
    "InboundReply",
    "Journey",
    "MessageTemplate",
    "Purpose",
    "SendBucket",
]
