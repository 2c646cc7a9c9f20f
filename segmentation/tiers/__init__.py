"""The tier engine (档位): its grading of a territory for a month or quarter (grading.py), the proposals a
supervisor draws and publishes and the manual changes a second person approves (services.py — the only writes
of a retailer's tier from this app), the tier card that explains a tier (card.py) and the what-if (whatif.py)."""
