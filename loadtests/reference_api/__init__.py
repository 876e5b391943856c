"""The reference API: the domain behind HTTP, the default target of the load tests."""
