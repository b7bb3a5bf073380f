"""The weekly payout run (the scheduler calls ``payouts.services.payouts_run_weekly``)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payouts.services import payouts_run


class Command(BaseCommand):
    help = "Pay every model whose payouts are enabled and whose balance reaches the minimum."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", help="run date (YYYY-MM-DD, default today UTC): one payout per model per date"
        )

    def handle(self, *args, **options) -> None:
        run_date = None
        if options.get("date"):
            try:
                run_date = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD.") from None
        report = payouts_run(run_date=run_date)
        for key in report.paid:
            self.stdout.write(f"PAID {key}")
        for key in report.failed:
            self.stdout.write(f"FAILED {key} (amount returned to the balance)")
        for key in report.retrying:
            self.stdout.write(f"RETRY {key} (Stripe did not answer; the next run retries)")
        for model_id, reason in report.skipped.items():
            self.stdout.write(f"SKIP {model_id}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {report.run_date}: {len(report.paid)} paid, {len(report.failed)} failed, "
                f"{len(report.retrying)} to retry."
            )
        )
