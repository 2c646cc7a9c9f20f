"""Tier appeals: a retailer disputes its tier from its own page; a supervisor upholds or changes it."""
