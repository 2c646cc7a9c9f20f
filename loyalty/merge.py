"""What a merge of duplicate retailers does with loyalty's rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from LoyaltyConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay


def points_move(*, cursor, from_id: int, to_id: int) -> None:
    from loyalty.ledger.services import points_transfer_on_merge

    points_transfer_on_merge(from_retailer_id=from_id, to_retailer_id=to_id)


def referrals_as_referrer_move(*, cursor, from_id: int, to_id: int) -> None:
    """A pending referral between the two records is a shop referring itself: cancelled first, it stays."""
    cursor.execute(
        """
        UPDATE loyalty_referral SET status = 'cancelled'
        WHERE status = 'pending'
          AND ((referrer_id = %(from)s AND referee_id = %(to)s) OR (referrer_id = %(to)s AND referee_id = %(from)s));
        UPDATE loyalty_referral SET referrer_id = %(to)s WHERE referrer_id = %(from)s AND referee_id <> %(to)s;
        """,
        {"from": from_id, "to": to_id},
    )


def referrals_as_referee_move(*, cursor, from_id: int, to_id: int) -> None:
    """A shop is referred once: the survivor takes the duplicate's referral unless it has its own; a referral of
    the duplicate that cannot move and still waits is cancelled (the closed record will never order)."""
    cursor.execute(
        """
        UPDATE loyalty_referral SET referee_id = %(to)s
        WHERE referee_id = %(from)s AND referrer_id <> %(to)s
          AND NOT EXISTS (SELECT 1 FROM loyalty_referral WHERE referee_id = %(to)s);
        UPDATE loyalty_referral SET status = 'cancelled' WHERE referee_id = %(from)s AND status = 'pending';
        """,
        {"from": from_id, "to": to_id},
    )


def register() -> None:
    merge_stay(
        "loyalty.PointsAccount",
        handler=points_move,
        why="the ledger is append-only and an account is never deleted: the account stays as the duplicate's "
        "history, and its open points move to the survivor's account as adjustments, each lot keeping its "
        "expiry date",
    )
    merge_move(
        "loyalty.Referral",
        field="referrer",
        handler=referrals_as_referrer_move,
        why="the shop keeps the new shops it referred; a pending referral between the two records (a shop "
        "referring itself) is cancelled and stays",
    )
    merge_move(
        "loyalty.Referral",
        field="referee",
        handler=referrals_as_referee_move,
        why="a new shop is referred once: the survivor takes the duplicate's referral unless it has its own or "
        "it was the referrer; then the duplicate's stays on the closed record (cancelled if still pending; a "
        "rewarded one is the proof of a reward paid)",
    )
    merge_move(
        "loyalty.Coupon",
        unique_with=["batch"],
        on_conflict="stay",
        why="coupons are the shop's; one per batch and shop, so where the survivor holds one of the same batch the "
        "duplicate's stays on the closed record (its code was handed out and is not destroyed)",
    )
    merge_stay(
        "loyalty.LoyaltyEvent",
        why="append-only notices about the duplicate's account at that time, already read by campaigns",
    )
