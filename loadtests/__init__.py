"""Replay simulated journeys against an omnichannel HTTP API with Locust (never imports SimPy)."""
