"""Reads of the cockpit, one module per use: cockpit (a unit's KPIs with the previous period, the trend and the
target), league (departments and managers ranked), drill (a KPI's retailers), targets (and their alerts), notices
and reports. Every read is a few indexed queries over KpiSnapshot (kept by beat), never over orders."""
