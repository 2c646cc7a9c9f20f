"""How feedback plugs into campaigns without campaigns knowing it: {{ survey_url }} (the recipient's own link to
its open survey invitation) and {{ portal_url }} (its hub) in message templates."""

from campaigns.templating import VARIABLE_PROVIDERS


def _survey_urls(retailer_ids: list[int]) -> dict[int, str]:
    """One query for the whole send batch; a retailer with no open invitation gets no link."""
    from feedback.portal.links import survey_url
    from feedback.surveys.selectors import open_invitations_for

    return {
        rid: survey_url(retailer_id=rid, invitation_id=invitation_id)
        for rid, invitation_id in open_invitations_for(retailer_ids).items()
    }


def _portal_urls(retailer_ids: list[int]) -> dict[int, str]:
    from feedback.portal.links import portal_url

    return {rid: portal_url(retailer_id=rid) for rid in retailer_ids}


def register() -> None:
    """Called from FeedbackConfig.ready()."""
    VARIABLE_PROVIDERS.register("survey_url", _survey_urls, by="feedback")
    VARIABLE_PROVIDERS.register("portal_url", _portal_urls, by="feedback")
