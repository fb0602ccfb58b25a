"""Batch scoring: apply the promoted models to every current guest, explain the scores and
write the score tables."""
