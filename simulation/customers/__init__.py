"""Customers over time: what they met (experience), how satisfied they are, whether they come
back (retention), and the KPIs of all three, each from the event log."""
