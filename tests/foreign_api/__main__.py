"""``python -m tests.foreign_api [--port 8100] [--oversell SKU]``: the foreign shop on
127.0.0.1, to try a mapping against. The admin's password is read from the environment
(``FOREIGN_SHOP_PASSWORD``), never from the command line."""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn

from tests.foreign_api.app import ADMIN_USER, create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.foreign_api", description=__doc__)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--oversell", metavar="SKU", help="plant the bug: oversell this sku")
    args = parser.parse_args(argv)
    password = os.environ.get("FOREIGN_SHOP_PASSWORD")
    if not password:
        print("set FOREIGN_SHOP_PASSWORD to the admin's password first", file=sys.stderr)
        return 2
    app = create_app(admin_password=password, oversell=args.oversell)
    print(f"foreign shop on http://127.0.0.1:{args.port} (admin user {ADMIN_USER!r})")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
