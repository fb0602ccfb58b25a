"""One guest, live (``score-guest``): tree walking and calibration in plain Python (no
xgboost, sklearn or numpy import) and the next-best-action playbook."""
