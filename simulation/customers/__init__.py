"""Customers as the log shows them: their value, channels, cohorts and retention."""
