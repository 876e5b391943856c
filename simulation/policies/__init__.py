"""Policies: small objects, one decision each, registered by name for scenario files."""
