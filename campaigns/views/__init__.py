"""Outreach pages: campaigns (list, form, detail with progress and results), templates (editor with live
preview and SMS counter) and journeys (switches and settings)."""
