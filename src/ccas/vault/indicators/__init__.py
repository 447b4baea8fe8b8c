"""Evaluation indicators of the experiment: aggregates only (decision 0021)."""
