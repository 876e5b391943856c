"""A second test target that looks nothing like the reference API (UUIDs, product URLs, a
session header, a three-request checkout, allocation at order time, paged lists, and a GraphQL
face), to prove that a TOML mapping alone drives a foreign backend.

``python -m tests.foreign_api`` serves it on 127.0.0.1 (see docs/engineer.md).
"""
