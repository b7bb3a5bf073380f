"""PAYOUT_MINIMUM_USD / PAYOUT_WEEKDAY: a bad value stops the start with its name."""

from __future__ import annotations

import pytest

from modelsnapper.tests.test_health_and_settings import run_manage


@pytest.mark.parametrize("value", ["ten", "0", "-5", "10.005", "NaN", "Infinity"])
def test_a_bad_payout_minimum_stops_the_start(value):
    result = run_manage("check", PAYOUT_MINIMUM_USD=value)
    assert result.returncode != 0
    assert "PAYOUT_MINIMUM_USD" in result.stderr


def test_a_bad_payout_weekday_stops_the_start():
    result = run_manage("check", PAYOUT_WEEKDAY="7")
    assert result.returncode != 0
    assert "PAYOUT_WEEKDAY" in result.stderr


def test_a_good_minimum_is_accepted():
    assert run_manage("check", PAYOUT_MINIMUM_USD="25.50").returncode == 0
