"""What a pipeline run says while it works and when it is done.

- :class:`StageProgress` shows a spinner with the running stage on a terminal (rich), and the
  one-line result of each stage as it finishes; off a terminal (cron, CI, a pipe) it prints
  the plain ``[stage] ...`` start line instead of the spinner.
- :func:`run_summary` is the short report every run ends with: stage timings, rows per layer
  (bronze, silver, quarantine, gold), the promoted models' metrics, drift warnings and where
  gold is.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from guestloyalty.operations.pipeline import RunReport
    from guestloyalty.warehouse import Layout


class StageProgress:
    """A ``report`` callback for ``run_pipeline``: spinner while a stage runs, then its line."""

    def __init__(self, *, stream=None) -> None:  # noqa: ANN001
        from rich.console import Console

        self.console = Console(file=stream or sys.stderr, highlight=False, soft_wrap=True)
        self._status = None

    def report(self, message: str) -> None:
        if message.endswith(" ...") and message.startswith("["):
            self._stop()
            if self.console.is_terminal:
                self._status = self.console.status(f"{message[:-4]} running ...")
                self._status.start()
            else:  # logs (cron, CI) keep the start line: it dates each stage
                self.console.print(message, markup=False)
            return
        self._stop()
        self.console.print(message, markup=False)

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop()


def run_summary(layout: Layout, run: RunReport) -> list[str]:
    """The closing report of a run, as lines."""
    from guestloyalty.operations.status import collect_status, format_number

    status = collect_status(layout)
    total = sum(run.stage_seconds.values())
    lines = [f"pipeline {run.status} in {total:.1f}s (run {run.run_id})"]
    lines.append(
        "  stages   "
        + ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in run.stage_seconds.items())
    )
    bronze = sum(entity.bronze_rows for entity in status.entities)
    silver = sum(entity.silver_rows or 0 for entity in status.entities)
    quarantined = sum(entity.quarantined_rows or 0 for entity in status.entities)
    gold_rows = sum(status.gold.tables.values()) if status.gold else 0
    lines.append(
        f"  rows     bronze {bronze:,}, silver {silver:,}, quarantined {quarantined:,}, "
        f"gold {gold_rows:,} in {len(status.gold.tables) if status.gold else 0} tables"
    )
    if status.gold is not None:
        key_tables = [
            name
            for name in ("guest_360", "guest_scores", "next_best_action", "at_risk_guests")
            if name in status.gold.tables
        ]
        if key_tables:
            lines.append(
                "  gold     "
                + ", ".join(f"{name} {status.gold.tables[name]:,}" for name in key_tables)
            )
    for model in status.models:
        metrics = {
            "churn": ("auc", "pr_auc", "brier", "lift_top10"),
            "clv": ("mae", "spearman", "capture_top10"),
        }.get(model.model_name, ("churn_auc", "clv_spearman", "k", "silhouette"))
        shown = ", ".join(
            f"{key} {format_number(model.metrics[key])}"
            for key in metrics
            if model.metrics.get(key) is not None
        )
        if shown:
            lines.append(f"  model    {model.model_name} {model.model_version}: {shown}")
    if status.drift_warnings:
        lines.append(
            "  drift    "
            + ", ".join(f"{w.feature} (PSI {w.psi:.2f})" for w in status.drift_warnings[:5])
        )
    if run.scores_missing:
        lines.append(f"  scores   absent: {run.scores_missing}; gold has no model outputs")
    for change in run.accepted_changes:
        lines.append(f"  accepted {change}")
    rules = [
        f"{entity.entity} {rule} {rows:,}"
        for entity in status.entities
        for rule, rows in entity.quarantine_by_rule.items()
    ]
    if rules:
        lines.append("  rules    " + ", ".join(rules[:8]) + (" ..." if len(rules) > 8 else ""))
    from guestloyalty.operations.status import insight_lines

    for label, text in insight_lines(status.insights, limit=6):
        lines.append(f"  {label:<8} {text}")
    as_of = status.gold.as_of_date if status.gold else None
    after = status.gold.rows_after_as_of if status.gold else None
    lines.append(
        f"  gold at  {run.gold_path or layout.gold_path} (as_of {as_of or '-'}"
        + (f"; {after:,} rows dated after it not used" if after else "")
        + ")"
    )
    lines.append("  next     guestloyalty status | score-guest ID | query list | report")
    return lines
