"""Training: fit every model family on the labelled snapshots, compare with the baseline,
gate the promotion and record it in the registry."""
