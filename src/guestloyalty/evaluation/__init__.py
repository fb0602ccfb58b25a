"""Measures on arrays: ranking and calibration metrics, feature drift (PSI)."""
