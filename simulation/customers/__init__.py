"""Customers over time, each from the event log: what they met (experience), how satisfied they
are, whether they come back (retention), what campaigns cost and bring, what they are worth
(RFM, lifetime value), and the KPIs of all of these."""
