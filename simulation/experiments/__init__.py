"""Experiments: replications, common random numbers, confidence intervals, comparisons, sweeps."""
