"""The what-if studio: a local web page over scenarios and results (``omnicanal studio``).

Built on NiceGUI, which serves every asset from its own package (no CDN: it works offline)
and pushes updates over a websocket, so a long run shows its progress and can be cancelled
while it runs. The studio calls the same experiment API as the command line
(:mod:`simulation.api`, :mod:`simulation.studies`), never the engine's internals; runs go to
a child process of their own, which a cancel stops with every worker process it started.
"""
