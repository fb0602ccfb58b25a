"""Model families as pure functions on arrays and frames (no IO)."""
