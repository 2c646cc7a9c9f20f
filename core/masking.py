"""The one rule for a retailer's personal data (mobile number, the owner's ID-card number, the bank account): who may
see which value in full, and what everyone else sees instead.

- Every output that carries many records or leaves the system — a list page, the portrait, an API response (list or
  detail, any serializer), an export (CSV/XLSX), the admin's lists — carries these values *masked*, for every
  role: `mask_personal(field, value)` / `mask_personal_fields(row)`.
- A full value is handed out one at a time, on an explicit request, and each is logged (who, which retailer, which
  field, how: page, API, admin): accounts.sensitive.sensitive_reveal, behind the portrait's 显示 button and
  POST /api/v1/retailers/<id>/reveal/. `may_reveal(user=…, field=…)` says who may ask: the mobile number for those
  with accounts.view_contact_details (customer managers, supervisors, integrations, admins), the ID card and the
  bank account only with accounts.view_sensitive_identity (admins).

This module names the fields and permissions as strings and imports nothing of ours, so every app can use it.
"""

MOBILE = "mobile"
ID_NUMBER = "owner_id_number"
BANK_ACCOUNT = "bank_account"

# field -> the permission that allows revealing it, one value at a time
REVEAL_PERMISSIONS: dict[str, str] = {
    MOBILE: "accounts.view_contact_details",
    ID_NUMBER: "accounts.view_sensitive_identity",
    BANK_ACCOUNT: "accounts.view_sensitive_identity",
}
PERSONAL_FIELDS: tuple[str, ...] = tuple(REVEAL_PERMISSIONS)


def may_reveal(*, user, field: str) -> bool:
    """Whether `user` may ask for the full value of `field` of a retailer they can see (one at a time, logged)."""
    permission = REVEAL_PERMISSIONS.get(field)
    return bool(permission) and user.has_perm(permission)


def mask_mobile(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if value and len(value) >= 7 else ("*" * len(value or ""))


def mask_tail(value: str, keep: int = 4) -> str:
    """Everything but the last `keep` characters hidden (ID card, bank account)."""
    if not value:
        return ""
    return "*" * max(len(value) - keep, 0) + value[-keep:]


def mask_personal(field: str, value):
    """The masked form of one personal field's value (None and "" stay as they are)."""
    if not value:
        return value
    return mask_mobile(str(value)) if field == MOBILE else mask_tail(str(value))


def mask_personal_fields(row: dict) -> dict:
    """`row` with every personal field it carries masked, in place (a serializer's representation, an export row)."""
    for field in PERSONAL_FIELDS:
        if field in row:
            row[field] = mask_personal(field, row[field])
    return row
