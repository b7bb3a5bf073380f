from __future__ import annotations

from modelsnapper.tests.test_health_and_settings import run_manage


def test_benchmark_runs_every_measurement_in_a_throwaway_database(tmp_path):
    database = tmp_path / "never-created.sqlite3"

    result = run_manage(
        "benchmark", "--repeat", "1", DATABASE_URL=f"sqlite:///{database}", MEDIA_ROOT=str(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    for name in (
        "history page",
        "royalties page",
        "consent lookup",
        "credits_spend",
        "offline engine",
        "new photos picker",
        "picker search",
    ):
        assert name in result.stdout
    # Query counts of the pages do not grow with the data.
    for line in result.stdout.splitlines():
        if line.startswith(("history page", "royalties page", "consent lookup", "new photos")):
            small, large = line.split()[-1].split("/")
            assert small == large, line
    assert not database.exists()
