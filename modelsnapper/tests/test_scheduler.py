"""The product's own scheduler: due jobs go to the task queue once per slot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from modelsnapper import scheduler
from modelsnapper.tasks import run_periodic_job

NOON = datetime(2027, 3, 3, 12, 0, 30, tzinfo=UTC)  # a Wednesday: no payout run


def _enqueued_names(held) -> list[str]:
    return [result.args[0] for result in held.results if result.task.func is run_periodic_job.func]


def test_the_product_registers_its_periodic_jobs():
    jobs = {job.name: job for job in scheduler.jobs()}

    assert jobs["requeue_generations"].every == timedelta(minutes=1)
    assert jobs["expire_consents"].every == timedelta(days=1)
    assert jobs["expire_consents"].offset == timedelta(hours=3)
    assert jobs["payouts_run"].every == timedelta(days=7)


@pytest.mark.django_db
def test_the_weekly_payout_run_fires_on_monday_morning_and_never_mid_week(tasks_held, settings):
    assert settings.PAYOUT_WEEKDAY == 0  # Monday, the default
    sunday_night = datetime(2027, 3, 7, 23, 0, tzinfo=UTC)
    monday_six = datetime(2027, 3, 8, 6, 0, 1, tzinfo=UTC)

    assert "payouts_run" not in scheduler.tick(now=NOON)  # Wednesday: a fresh start
    assert "payouts_run" not in scheduler.tick(now=sunday_night)
    assert "payouts_run" in scheduler.tick(now=monday_six)
    assert "payouts_run" not in scheduler.tick(now=monday_six + timedelta(hours=3))
    # The scheduler was down all Monday: it catches up on Tuesday morning, not later.
    assert "payouts_run" in scheduler.tick(now=datetime(2027, 3, 16, 5, 0, tzinfo=UTC))
    # A week later it was down until Tuesday 07:00: more than a day late, that week waits.
    assert "payouts_run" not in scheduler.tick(now=datetime(2027, 3, 23, 7, 0, tzinfo=UTC))


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_slot_however_many_ticks(tasks_held):
    first = scheduler.tick(now=NOON)
    again = scheduler.tick(now=NOON + timedelta(seconds=20))
    next_minute = scheduler.tick(now=NOON + timedelta(seconds=40))

    assert sorted(first) == ["database_statistics", "expire_consents", "requeue_generations"]
    assert again == []
    assert next_minute == ["requeue_generations"]
    assert sorted(_enqueued_names(tasks_held)) == [
        "database_statistics",
        "expire_consents",
        "requeue_generations",
        "requeue_generations",
    ]


@pytest.mark.django_db
def test_the_daily_job_fires_once_a_day_at_three_utc(tasks_held):
    before_three = datetime(2027, 3, 2, 2, 59, tzinfo=UTC)
    after_three = datetime(2027, 3, 2, 3, 0, 5, tzinfo=UTC)
    scheduler.tick(now=before_three)

    assert "expire_consents" in scheduler.tick(now=after_three)
    assert "expire_consents" not in scheduler.tick(now=after_three + timedelta(hours=23))
    assert "expire_consents" in scheduler.tick(now=after_three + timedelta(days=1))


@pytest.mark.django_db
def test_a_second_scheduler_does_not_enqueue_the_same_slot(tasks_held):
    """Two schedulers share the claim in the shared cache (Redis, or this host's files)."""
    from django.core.cache import caches

    scheduler.tick(now=NOON)
    caches["shared"].close()  # as another process would, with its own connection

    assert scheduler.tick(now=NOON) == []


@pytest.mark.django_db
def test_a_queue_that_is_down_is_logged_and_the_tick_goes_on(monkeypatch, caplog):
    calls = []

    def broken(name: str) -> None:
        calls.append(name)
        raise ConnectionError("queue down")

    monkeypatch.setattr(scheduler, "_enqueuer", [broken])

    assert scheduler.tick(now=NOON) == []
    assert sorted(calls) == ["database_statistics", "expire_consents", "requeue_generations"]
    assert "could not enqueue" in caplog.text
    # The queue is back: the next tick of the same slot enqueues what failed.
    monkeypatch.setattr(scheduler, "_enqueuer", [calls.append])
    assert sorted(scheduler.tick(now=NOON + timedelta(seconds=10))) == [
        "database_statistics",
        "expire_consents",
        "requeue_generations",
    ]


@pytest.mark.django_db
def test_the_worker_runs_the_registered_job(monkeypatch):
    ran = []
    scheduler.register("test_job", every=timedelta(hours=1), run=lambda: ran.append(1) or 7)
    try:
        assert run_periodic_job.call("test_job") == "7"
    finally:
        scheduler._jobs.pop("test_job")
    assert ran == [1]


def test_an_unknown_job_name_is_refused():
    with pytest.raises(LookupError, match="no periodic job named 'nope'"):
        scheduler.run_job("nope")


@pytest.mark.django_db
def test_run_scheduler_once_enqueues_what_is_due(tasks_held, capsys, caplog):
    call_command("run_scheduler", "--once")

    assert "requeue_generations every 1 min" in capsys.readouterr().out
    assert "scheduler: enqueued requeue_generations" in caplog.text
    assert "requeue_generations" in _enqueued_names(tasks_held)


def test_the_scheduler_outlives_a_cache_outage(monkeypatch, caplog):
    calls = []

    def down(**kwargs):
        calls.append(1)
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(scheduler, "tick", down)
    monkeypatch.setattr(scheduler, "TICK_SECONDS", 0.01)

    call_command("run_scheduler", "--once")

    assert calls == [1]
    assert "scheduler: tick failed" in caplog.text


@pytest.mark.django_db
def test_the_daily_statistics_job_gives_sqlite_its_planner_statistics():
    from django.db import connection

    from modelsnapper.dbstats import database_statistics_refresh

    job = {job.name: job for job in scheduler.jobs()}["database_statistics"]
    assert (job.every, job.offset) == (timedelta(days=1), timedelta(hours=4))
    if connection.vendor != "sqlite":
        assert database_statistics_refresh() is False  # MongoDB keeps its own
        return
    assert database_statistics_refresh() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1
