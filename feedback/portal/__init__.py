"""The retailer's own pages behind a signed link: the links, the hub, unsubscribe, the link texted by staff."""
