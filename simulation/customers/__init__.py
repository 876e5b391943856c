"""Customers read from the log: experience, retention, value (RFM, CLTV)."""
