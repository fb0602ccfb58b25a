"""Operations: what runs around the stages (the plausibility gate, ...)."""
