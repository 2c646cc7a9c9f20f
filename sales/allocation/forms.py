"""The plan editor's input: its grid of tier bands (one row per band, a town and a rural limit) read from a
POST into rule rows and folded back for display, and the dates the pages take as parameters."""

import datetime

DEFAULT_BANDS = [(26, 30), (21, 25), (16, 20), (11, 15), (1, 10)]
EDITOR_ROWS = 8


def date_param(value, default=None):
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def rules_from_post(post) -> list[dict]:
    """The editor's grid: one row per tier band with a town and a rural limit; a blank limit means no rule row for
    that market type, a blank band is skipped. Values stay strings: the service validates them."""
    rules = []
    rows = zip(
        post.getlist("tier_from"),
        post.getlist("tier_to"),
        post.getlist("town"),
        post.getlist("rural"),
        strict=False,
    )
    for tier_from, tier_to, town, rural in rows:
        if not (tier_from.strip() or tier_to.strip()):
            continue
        for market, cartons in (("C", town), ("X", rural)):
            if cartons.strip():
                rules.append(
                    {"tier_from": tier_from, "tier_to": tier_to, "market_type": market, "cartons": cartons}
                )
    return rules


def grid_from_rules(rules) -> list[dict]:
    """Rule rows folded back into the editor's grid (one line per band)."""
    bands: dict[tuple, dict] = {}
    for r in rules:
        key = (str(r["tier_from"]), str(r["tier_to"]))
        bands.setdefault(key, {"tier_from": key[0], "tier_to": key[1], "town": "", "rural": ""})
        bands[key]["town" if r["market_type"] == "C" else "rural"] = str(r["cartons"])
    grid = sorted(bands.values(), key=lambda b: -int(b["tier_to"]) if b["tier_to"].isdigit() else 0)
    return grid + [{"tier_from": "", "tier_to": "", "town": "", "rural": ""}] * max(
        0, EDITOR_ROWS - len(grid)
    )
