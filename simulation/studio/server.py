"""Serving the studio on 127.0.0.1: a free port by default, the browser opened unless asked
not to, and every run it started stopped when it stops (SIGINT or SIGTERM)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from simulation.errors import InputError, OmnicanalError

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on now, chosen by the system on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
    return port


def check_port(port: int) -> None:
    """Refuse a port that is taken, naming it, before the server starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError as e:
            raise InputError("--port", "a free port on 127.0.0.1", f"{port} ({e.strerror})") from e


def serve(
    *,
    port: int | None,
    open_browser: bool,
    results: Path,
    announce: Callable[[str], None],
) -> None:
    """Serve the studio until SIGINT or SIGTERM; runs still going are cancelled then."""
    try:
        from nicegui import app, ui
    except ImportError as e:
        raise OmnicanalError("the studio needs NiceGUI: pip install 'omnicanal[studio]'") from e
    from simulation.studio import jobs, page

    chosen = free_port() if port is None else port
    check_port(chosen)
    results.mkdir(parents=True, exist_ok=True)
    page.configure(results=results)
    app.add_static_files("/results", results)
    app.on_startup(lambda: announce(f"studio: serving http://{HOST}:{chosen} (Ctrl+C stops it)"))
    app.on_shutdown(jobs.stop_all)
    ui.run(
        page.root, host=HOST, port=chosen, title="omnicanal studio", reload=False,
        show=open_browser, show_welcome_message=False, favicon="🛒",
        uvicorn_logging_level="warning",
    )  # fmt: skip
