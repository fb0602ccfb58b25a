"""Running the product: pipeline stages and lock, run log, status and summary, erasure
(``forget``) and its recovery, the backtest harness, the plausibility gate before publish."""
