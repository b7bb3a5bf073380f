from __future__ import annotations

import json

from home.bench import PageRow, Results, as_json
from modelsnapper.tests.test_health_and_settings import run_manage


def test_bench_measures_every_page_in_throwaway_databases(tmp_path):
    database = tmp_path / "never-created.sqlite3"
    output = tmp_path / "bench" / "results.json"

    result = run_manage(
        "bench",
        "--small",
        "3",
        "--large",
        "12",
        "--repeat",
        "1",
        "--skip-load",
        "--output",
        str(output),
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )

    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(output.read_text())
    assert results["sizes"] == [3, 12]
    pages = {page["name"]: page for page in results["pages"]}
    for name in ("model directory", "consent inbox", "history", "royalties", "invoices"):
        assert pages[name]["status"] == "ok", pages[name]
        small, large = pages[name]["queries"]
        assert small == large, pages[name]
    assert any(name.startswith("admin billing.") for name in pages)
    assert results["engine"]["throughput_vs_pillow"] > 0
    assert results["overhead"]["engine_ms"] > 0
    assert "history" in result.stdout and "platform overhead" in result.stdout
    # The real database was never touched.
    assert not database.exists()


def test_benchmark_is_an_alias_of_bench():
    from home.management.commands import bench, benchmark

    assert benchmark.Command is bench.Command


def test_a_page_misses_its_target_on_unequal_queries_or_a_ratio_over_one_and_a_half():
    good = PageRow("p", "/", queries=(5, 5), html_bytes=(100, 140), ms=(10.0, 14.0))
    more_queries = PageRow("p", "/", queries=(5, 6), html_bytes=(100, 100), ms=(10.0, 10.0))
    slow = PageRow("p", "/", queries=(5, 5), html_bytes=(100, 100), ms=(10.0, 16.0))
    missing = PageRow("p", "/pricing/", status="missing")
    assert good.ok and not more_queries.ok and not slow.ok and not missing.ok
    rows = as_json(Results(sizes=(10, 10_000), pages=[good, missing]))["pages"]
    assert [row["meets_target"] for row in rows] == [True, False]
