"""The web side: the live page, vessel pages, search, triage and exports, their feeds and
static files."""
