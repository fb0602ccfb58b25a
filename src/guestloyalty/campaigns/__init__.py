"""The campaign loop: exports with randomized holdouts, the uplift model, what-if."""
