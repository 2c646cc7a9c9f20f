"""Complaints and requests: a case per retailer concern, its workflow, deadlines and escalation, its follow-up.
Sub-areas: hidden/ (shops to call who filed nothing), notifications/ (staff's in-app messages), reports/."""
