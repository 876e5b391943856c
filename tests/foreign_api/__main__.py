"""``python -m tests.foreign_api [--port 8100] [--catalogue RESULTS] [--oversell SKU]``: the
foreign shop on 127.0.0.1, to try a mapping against.

``--catalogue`` gives the shop the products and stock locations of a results folder's initial
stock (with no units: the replay's preparation sets them), as a real backend has its catalogue
before it is load-tested. The admin's password is read from the environment
(``FOREIGN_SHOP_PASSWORD``), never from the command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from loadtests.journeys import initial_stock
from simulation.commandlog import read_command_table
from tests.foreign_api.app import ADMIN_USER, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.foreign_api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--catalogue", type=Path, metavar="RESULTS",
        help="make the products and locations of this run's initial stock",
    )  # fmt: skip
    parser.add_argument("--oversell", metavar="SKU", help="plant the bug: oversell this sku")
    args = parser.parse_args(argv)
    password = os.environ.get("FOREIGN_SHOP_PASSWORD")
    if not password:
        print("set FOREIGN_SHOP_PASSWORD to the admin's password first", file=sys.stderr)
        return 2
    app = create_app(admin_password=password, oversell=args.oversell)
    if args.catalogue is not None:
        commands = args.catalogue / "commands.parquet"
        if not commands.is_file():
            print(f"--catalogue: expected a results folder with commands.parquet, got "
                  f"{args.catalogue}", file=sys.stderr)  # fmt: skip
            return 2
        places = sorted(initial_stock(read_command_table(commands)))
        app.state.shop.stock_catalogue(places)
        print(f"catalogue: {len(app.state.shop.products)} products, "
              f"{len(app.state.shop.locations)} stock locations")  # fmt: skip
    print(f"foreign shop on http://127.0.0.1:{args.port} (admin user {ADMIN_USER!r})", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
