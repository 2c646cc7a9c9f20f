"""Reads of each role's home, one module per home: the customer manager's workspace (manager.py), the
administrator's system health (health.py), and the portrait's first screen (portrait.py)."""

from workspace.selectors.health import HEARTBEAT_KEY, AdminHealth, admin_health
from workspace.selectors.manager import Workspace, manager_workspace
from workspace.selectors.portrait import PortraitSummary, portrait_summary

__all__ = [
    "HEARTBEAT_KEY",
    "AdminHealth",
    "PortraitSummary",
    "Workspace",
    "admin_health",
    "manager_workspace",
    "portrait_summary",
]
