"""Reference API: command requests per second and p50/p99 latency on SQLite and PostgreSQL,
side by side with a bare FastAPI endpoint that stores nothing, all in one run on loopback.

    .venv/bin/python benchmarks/api_requests.py [--requests 2000] [--clients 8]
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from loadtests.reference_api.app import create_app  # noqa: E402
from loadtests.reference_api.store import EventStore, SQLiteStore  # noqa: E402
from loadtests.reference_api.store.postgres import PostgresStore  # noqa: E402

TOKEN = "bench"  # noqa: S105 - loopback benchmark server


def serve(app: FastAPI) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", server, thread


def load(base: str, requests: int, clients: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for i in range(c, requests, clients):
                start = time.perf_counter()
                http.post(
                    "/carts", json={"customer": i, "cart": i, "channel": "web"}
                ).raise_for_status()
                with lock:
                    latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    ms = np.array(latencies) * 1000
    return requests / seconds, float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def bare() -> FastAPI:
    app = FastAPI()

    @app.post("/carts")
    def carts(body: dict[str, object]) -> dict[str, object]:
        return {"events": []}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        stores: dict[str, EventStore] = {
            "sqlite": SQLiteStore(Path(tmp) / "events.db"),
            "postgresql": PostgresStore("postgresql://postgres@127.0.0.1:5432/test", schema=schema),
        }
        apps = {
            "bare endpoint": bare(),
            **{k: create_app(token=TOKEN, store=v) for k, v in stores.items()},
        }
        for name, app in apps.items():
            base, server, thread = serve(app)
            rate, p50, p99 = load(base, args.requests, args.clients)
            print(f"{name:>14}: {rate:8.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms")
            server.should_exit = True
            thread.join()
        stores["postgresql"].close()
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
