"""`python -m mysetlist_simulator [--port N] [--host H]`: serve the simulator with uvicorn."""

from __future__ import annotations

import argparse
import logging

import uvicorn

from .app import create_app
from .config import SimConfig


def main() -> None:
    parser = argparse.ArgumentParser(description="Upstream simulator: Ticketmaster, Spotify, MusicBrainz")
    parser.add_argument("--port", type=int, help="port (default: SIM_PORT or 8100)")
    parser.add_argument("--host", help="interface (default: SIM_HOST or 127.0.0.1)")
    args = parser.parse_args()
    config = SimConfig.from_env()
    config.port = args.port or config.port
    config.host = args.host or config.host
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # No access log: it would cost more than the requests themselves under load.
    uvicorn.run(create_app(config), host=config.host, port=config.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
