"""Placement: capacity, latency, per-site rules, the federation plan, N-1 what-if and plan diffs."""
