"""Saved segments (客户分群): a rule tree over the retailers of one org unit's subtree. The rule language (rules.py),
the kinds of field it tests (field_types.py, purchase_fields.py) and the catalogue of fields (rule_fields.py);
the writes (services.py), the members and the builder's preview (selectors.py), and the builder (forms.py,
views.py), the API (api.py) and the admin."""
