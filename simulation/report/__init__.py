"""Figures and the one-page HTML report of a results folder, drawn from the event log alone."""
