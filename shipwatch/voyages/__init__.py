"""Voyages: the per-vessel state machine from fence events to port calls and voyages (pure)."""
