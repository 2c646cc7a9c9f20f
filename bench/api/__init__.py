"""`bench api`: the retailer list as JSON and as a page against a raw keyset SQL page (benchmark; workload: the
filters; targets: what is timed and checked)."""
