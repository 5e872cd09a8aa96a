"""shipwatch: every package but the three the owner fixed at the top (streams, geofences, alerts).

Nothing is imported here, so that `import shipwatch.ais` stays as light as the module itself.
"""
