"""Every sandbox response is dated by the sandbox's clock (its Date header), so a client
that takes "today" from the API follows the sandbox, not the machine it runs on."""

from __future__ import annotations

from datetime import date
from email.utils import parsedate_to_datetime

import httpx


def test_date_header_is_the_sandbox_clock_and_follows_set_today(sandbox) -> None:
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    for today in (date(2026, 11, 21), date(2030, 11, 30)):
        sandbox.set_today(today)
        for path in ("/v1/employers", "/v1/plan-years/plyr_nope"):  # success and error
            response = httpx.get(sandbox.base_url + path, headers=headers)
            dates = response.headers.get_list("date")
            assert len(dates) == 1, dates  # uvicorn's own Date header is off
            assert parsedate_to_datetime(dates[0]).date() == today
