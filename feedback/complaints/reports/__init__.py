"""The complaint report: volume, deadline attainment, time to resolve, and its audited export."""
