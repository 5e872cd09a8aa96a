"""Bundled, deterministic AIS scenarios for replay, demos and end-to-end tests."""
