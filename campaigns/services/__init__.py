"""Every write and side effect of outreach, by subject: campaigns (life cycle, templates); the exactly-once send in
three steps: snapshot (the send log written at launch), claims (rows claimed before the gateway is called, released,
deferred, recovered) and sending (campaign_send: where a campaign is sent); inbound (webhooks, unsubscribe, clicks),
journeys (triggered messages) and ticks (the minute beat)."""
