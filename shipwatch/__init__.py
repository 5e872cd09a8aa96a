"""What every shipwatch package shares: the root of its errors (shipwatch.errors)."""
