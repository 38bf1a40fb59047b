"""Benchmarks, each printing ratios against a baseline run in the same process; one synthetic federation."""
