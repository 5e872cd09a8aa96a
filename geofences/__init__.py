"""Geofences: GeoJSON loading and validation, a fast point index, per-vessel membership (pure)."""
