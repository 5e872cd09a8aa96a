"""The vessel page's `days`: what the query gives, bounded, and the default for no number."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request

from shipwatch.settings import Settings
from shipwatch.web.history import _days


def test_a_vessel_pages_days_that_read_as_no_number_are_the_default() -> None:
    """`?days=nan` read as a float and went to SQLite as NULL: an empty page."""
    settings = Settings(_env_file=None)
    for text, days in (("nan", 30.0), ("inf", 30.0), ("-inf", 30.0), ("x", 30.0), ("2", 2.0)):
        request = make_mocked_request("GET", f"/api/vessels/1?days={text}")
        assert _days(request, settings) == min(days, settings.history_retention_days)
