"""Proof of visit: the trust assessment of a check-in, the server's stamp on each photo, and the supervisor's
review of doubtful visits.

The assessment runs inside the check-in's transaction and costs a handful of index lookups whatever the history:
the manager's check-in just before and just after this one (visit_manager_checkin), visits at exactly these
coordinates (visit_coordinates), photos with the same fingerprint (content_hash), and the manager's photos of the
past year near its perceptual hash (phash). A reason found against an
earlier visit (the same coordinates at another shop, the same photo, an impossible trip) marks that visit doubtful
too, so every visit of a spoofed route leaves coverage, not only the last one."""

import datetime
import html

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from users.models import User
from visits.exif import PhotoFacts
from visits.geo import haversine_m
from visits.models import Visit, VisitPhoto, VisitPolicy

# below this distance two check-ins are the same place whatever the time (GPS jitter between neighbouring shops)
MIN_TRIP_M = 300
PHASH_NEAR_BITS = 6  # of 64: a re-encoded copy differs in 0–4 bits, another picture in about 32
PHASH_LOOKBACK_DAYS = 365
# reasons that a later check-in restates in full (rather than adds to)
RESTATED = {"same_coordinates"}


def _reason(code: str, **params) -> dict:
    return {"code": code, "params": params}


def _when(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%m-%d %H:%M")


def _trip(a: Visit, b: Visit, policy: VisitPolicy) -> dict | None:
    """The speed reason if going from check-in a to b (or back) is faster than the policy allows."""
    metres = haversine_m(a.latitude, a.longitude, b.latitude, b.longitude)
    if metres < max(MIN_TRIP_M, policy.checkin_radius_m):
        return None
    seconds = max(abs((b.checked_in_at - a.checked_in_at).total_seconds()), 1)
    kmh = metres / 1000 / seconds * 3600
    if kmh <= policy.max_speed_kmh:
        return None
    return {"km": round(metres / 1000, 1), "minutes": round(seconds / 60), "kmh": round(kmh)}


def assess(*, visit: Visit, photos: list[PhotoFacts], policy: VisitPolicy, now: datetime.datetime) -> dict:
    """Fill visit.trust_reasons and visit.trust (unsaved) and return {other visit id: [reasons]} to add to earlier
    visits. `photos` are the facts of this visit's photos."""
    reasons: list[dict] = []
    others: dict[int, list[dict]] = {}

    if visit.location_flag == Visit.LocationFlag.TOO_FAR:
        reasons.append(_reason("too_far", m=visit.distance_m, radius=policy.checkin_radius_m))
    elif visit.location_flag == Visit.LocationFlag.NO_LOCATION:
        reasons.append(_reason("no_location", why=visit.no_location_reason))
    if visit.accuracy_m is not None and visit.accuracy_m > policy.max_accuracy_m:
        reasons.append(_reason("accuracy", m=visit.accuracy_m, max=policy.max_accuracy_m))

    located = visit.latitude is not None
    if located:
        mine = (
            Visit.objects.filter(manager_id=visit.manager_id, latitude__isnull=False)
            .exclude(retailer_id=visit.retailer_id)
            .select_related("retailer")
        )
        neighbours = [
            mine.filter(checked_in_at__lte=visit.checked_in_at).order_by("-checked_in_at").first(),
            mine.filter(checked_in_at__gt=visit.checked_in_at).order_by("checked_in_at").first(),
        ]
        for other in filter(None, neighbours):
            trip = _trip(other, visit, policy)
            if trip:
                reasons.append(
                    _reason("speed", other=_when(other.checked_in_at), shop=other.retailer.shop_name, **trip)
                )
                others.setdefault(other.pk, []).append(
                    _reason("speed", other=_when(visit.checked_in_at), shop=visit.retailer.shop_name, **trip)
                )
        same_spot = list(
            Visit.objects.filter(latitude=visit.latitude, longitude=visit.longitude)
            .exclude(retailer_id=visit.retailer_id)
            .select_related("retailer")
            .order_by("pk")[:50]
        )
        if same_spot:
            shops = {v.retailer_id: v.retailer.shop_name for v in same_spot}
            reasons.append(_reason("same_coordinates", n=len(shops), shops="、".join(sorted(shops.values()))))
            for other in same_spot:
                elsewhere = {visit.retailer_id: visit.retailer.shop_name} | {
                    k: name for k, name in shops.items() if k != other.retailer_id
                }
                others.setdefault(other.pk, []).append(
                    _reason("same_coordinates", n=len(elsewhere), shops="、".join(sorted(elsewhere.values())))
                )

    if visit.device_time is not None:
        skew = abs((visit.device_time - now).total_seconds()) / 60
        if skew > policy.clock_skew_minutes:
            reasons.append(_reason("device_clock", minutes=round(skew)))

    local = timezone.localtime(visit.checked_in_at)
    if not (policy.work_starts_at <= local.time() <= policy.work_ends_at):
        reasons.append(
            _reason(
                "off_hours",
                time=local.strftime("%H:%M"),
                start=policy.work_starts_at.strftime("%H:%M"),
                end=policy.work_ends_at.strftime("%H:%M"),
            )
        )

    for facts in photos:
        if facts.taken_at is not None:
            taken = timezone.make_aware(facts.taken_at)
            minutes = abs((taken - visit.checked_in_at).total_seconds()) / 60
            if minutes > policy.photo_max_minutes:
                reasons.append(_reason("photo_time", taken=_when(taken), minutes=round(minutes)))
        if facts.latitude is not None:
            here = (
                (visit.latitude, visit.longitude)
                if located
                else (visit.retailer.latitude, visit.retailer.longitude)
            )
            if here[0] is not None:
                metres = haversine_m(facts.latitude, facts.longitude, *here)
                if metres > policy.photo_max_distance_m:
                    reasons.append(_reason("photo_place", m=round(metres)))
    fingerprints = {f.fingerprint for f in photos if f.fingerprint}
    if fingerprints:
        reused = (
            VisitPhoto.objects.filter(content_hash__in=fingerprints)
            .exclude(visit_id=visit.pk)
            .select_related("visit__retailer")
            .order_by("visit_id")[:20]
        )
        for photo in reused:
            first = photo.visit
            reasons.append(_reason("photo_reused", date=str(first.visited_on), shop=first.retailer.shop_name))
            others.setdefault(first.pk, []).append(
                _reason("photo_reused", date=str(visit.visited_on), shop=visit.retailer.shop_name)
            )
    for photo in _near_copies(visit=visit, photos=photos, fingerprints=fingerprints):
        first = photo.visit
        reasons.append(_reason("photo_reused", date=str(first.visited_on), shop=first.retailer.shop_name))
        others.setdefault(first.pk, []).append(
            _reason("photo_reused", date=str(visit.visited_on), shop=visit.retailer.shop_name)
        )

    visit.trust_reasons = _unique(reasons)
    visit.trust = Visit.Trust.DOUBTFUL if reasons else Visit.Trust.OK
    return others


def _near_copies(*, visit: Visit, photos: list[PhotoFacts], fingerprints: set[str]) -> list[VisitPhoto]:
    """The manager's photos of the last PHASH_LOOKBACK_DAYS on other visits whose perceptual hash is within
    PHASH_NEAR_BITS of one of these (a re-encoded or resized copy; identical data is the fingerprint's case).
    One index walk over the manager's visits, the Hamming distance in SQL."""
    hashes = sorted({f.phash for f in photos if f.phash is not None})
    if not hashes:
        return []
    distance = RawSQL(  # noqa: S611 - fixed text; the hashes are parameters
        "LEAST({})".format(", ".join(["bit_count((visits_visitphoto.phash # %s)::bit(64))"] * len(hashes))),
        hashes,
    )
    return list(
        VisitPhoto.objects.filter(
            visit__manager_id=visit.manager_id,
            visit__visited_on__gte=visit.visited_on - datetime.timedelta(days=PHASH_LOOKBACK_DAYS),
            phash__isnull=False,
        )
        .exclude(visit_id=visit.pk)
        .exclude(content_hash__in=fingerprints)
        .annotate(distance=distance)
        .filter(distance__lte=PHASH_NEAR_BITS)
        .select_related("visit__retailer")
        .order_by("visit_id")[:20]
    )


def _unique(reasons: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in reasons:
        key = (r["code"], tuple(sorted(r["params"].items())))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def flag_others(others: dict[int, list[dict]]) -> None:
    """Add reasons found by a later check-in to earlier visits; an unflagged one becomes doubtful (a visit a
    supervisor already decided keeps the decision, with the new reason shown)."""
    if not others:
        return
    for visit in Visit.objects.select_for_update().filter(pk__in=others).order_by("pk"):
        new = others[visit.pk]
        # a later count of the shops at these coordinates replaces the earlier one
        replaced = {r["code"] for r in new if r["code"] in RESTATED}
        kept = [r for r in visit.trust_reasons if r["code"] not in replaced]
        visit.trust_reasons = _unique([*kept, *new])
        if visit.trust == Visit.Trust.OK:
            visit.trust = Visit.Trust.DOUBTFUL
        visit.save(update_fields=["trust_reasons", "trust"])


# ---- the stamp ------------------------------------------------------------------------------------------------
def stamp_svg(*, photo_bytes: bytes, content_type: str, facts: PhotoFacts, visit: Visit) -> bytes:
    """An SVG that shows the photo with a band the server wrote: shop, customer code, manager, check-in time and
    distance. The original file is kept unchanged; the stamp is a separate stored derivative."""
    import base64

    width, height = facts.width or 1200, facts.height or 900
    band = max(round(height * 0.12), 48)
    font = round(band / 3.2)
    distance = (
        _("距店铺 %(m)s 米") % {"m": visit.distance_m}
        if visit.distance_m is not None
        else visit.get_location_flag_display()
    )
    lines = [
        f"{visit.retailer.shop_name}（{visit.retailer.customer_code}）",
        f"{visit.manager} · {timezone.localtime(visit.checked_in_at):%Y-%m-%d %H:%M} · {distance}",
    ]
    text = "".join(
        f'<text x="{font // 2}" y="{height - band + font * (1.2 + 1.3 * i)}" font-size="{font}">'
        f"{html.escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    data = base64.b64encode(photo_bytes).decode("ascii")
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}"><image href="data:{content_type};base64,{data}" width="{width}" height="{height}"/>'
        f'<rect x="0" y="{height - band}" width="{width}" height="{band}" fill="#000" fill-opacity="0.55"/>'
        f'<g fill="#fff" font-family="sans-serif">{text}</g></svg>'
    )
    return svg.encode("utf-8")


def photo_stamp(*, photo: VisitPhoto, photo_bytes: bytes, facts: PhotoFacts) -> None:
    svg = stamp_svg(photo_bytes=photo_bytes, content_type=photo.content_type, facts=facts, visit=photo.visit)
    photo.stamped.save("stamped.svg", ContentFile(svg), save=False)


# ---- the review -----------------------------------------------------------------------------------------------
def visit_review(*, actor: User, visit: Visit, accept: bool, reason: str = "") -> Visit:
    """A supervisor accepts or rejects a doubtful visit (a rejection needs a reason). `visit` must come from the
    actor's scope (visits.selectors.visit_get). Deciding again is a conflict."""
    from django.core.exceptions import ValidationError

    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": _("驳回须说明理由。")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("理由最多 300 字。")})
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.trust != Visit.Trust.DOUBTFUL:
            raise ConflictError(
                _("这条走访不在待审状态（%(state)s）。") % {"state": locked.get_trust_display()}
            )
        if locked.manager_id == actor.pk:
            raise ConflictError(_("不能审核自己的走访。"))
        locked.trust = Visit.Trust.ACCEPTED if accept else Visit.Trust.REJECTED
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.review_reason = reason
        locked.save(update_fields=["trust", "reviewed_by", "reviewed_at", "review_reason"])
    return locked
