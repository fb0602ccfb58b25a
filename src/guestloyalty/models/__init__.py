"""Model families, one module each (pure functions on arrays and frames), the feature frame
they read, the artifact registry and the reason phrases both batch and live scoring use."""
