"""Model families: pure functions on arrays and frames, no IO."""
