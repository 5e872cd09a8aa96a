"""Patches to faust-streaming 0.15.3, each answering a named Faust behaviour or issue."""
