"""Alerts: the alert record and the rules that turn voyage events into alerts (pure)."""
