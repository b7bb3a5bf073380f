"""`manage.py bench` (`make bench`): see home/bench.py for what is measured and how."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from home import bench


class Command(BaseCommand):
    help = "Measures every page at 10 vs 10 000 rows, the engine, overhead, memory and req/s."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--small", type=int, default=bench.SMALL, help="rows, small database")
        parser.add_argument("--large", type=int, default=bench.LARGE, help="rows, large database")
        parser.add_argument("--repeat", type=int, default=5, help="timed runs per measurement")
        parser.add_argument("--load-requests", type=int, default=600, help="at most, per path")
        parser.add_argument("--load-seconds", type=float, default=8.0, help="at most, per path")
        parser.add_argument("--skip-load", action="store_true", help="no gunicorn req/s run")
        parser.add_argument(
            "--output",
            default=str(Path(settings.BASE_DIR) / "bench" / "results.json"),
            help="where the JSON results go ('' for nowhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        results = bench.run(
            bench.Options(
                small=options["small"],
                large=options["large"],
                repeat=max(1, options["repeat"]),
                load_requests=options["load_requests"],
                load_seconds=options["load_seconds"],
                output=Path(options["output"]) if options["output"] else None,
                skip_load=options["skip_load"],
            ),
            write=lambda line: self.stderr.write(line),
        )
        for line in bench.table(results):
            self.stdout.write(line)
        if options["output"]:
            self.stdout.write(f"results written to {options['output']}")
