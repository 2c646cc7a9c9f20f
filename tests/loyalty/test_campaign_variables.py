"""Campaign templates say a retailer's points balance and link to its own points page (loyalty supplies both)."""

from campaigns import templating
from loyalty.links import points_link_read


def test_points_balance_and_link_render_for_each_recipient_of_a_batch(retailer_a, retailer_b, fund):
    fund(retailer_a, 1200)
    recipients = [
        templating.Recipient(delivery_id=1, retailer_id=retailer_a.pk),
        templating.Recipient(delivery_id=2, retailer_id=retailer_b.pk),  # no account yet: 0
    ]

    provided = templating.provided_values(
        ["points_balance", "points_url"], [r.retailer_id for r in recipients]
    )

    assert provided["points_balance"] == {retailer_a.pk: "1200", retailer_b.pk: "0"}
    url = provided["points_url"][retailer_a.pk]
    assert url.startswith(templating.public_url("/loyalty/m/"))
    token = url.rstrip("/").rsplit("/", 1)[-1]
    assert points_link_read(token=token).retailer_id == retailer_a.pk
    assert templating.missing_providers("{{ points_balance }} {{ points_url }}") == []
