"""Every write and side effect of outreach, by subject: campaigns (life cycle, templates), dispatch (the delivery
engine), inbound (webhooks, unsubscribe, clicks), journeys (triggered messages) and ticks (the minute beat)."""
