"""Analysts' triage of alerts: actions, their state, cases (pure: no Kafka, no Faust)."""
