"""Throughput benchmark: `python -m mysetlist_simulator.loadtest [--url URL] [--seconds S]`.

Without --url it starts a simulator process pinned to one CPU core, with latency 0 and rate limits off,
and drives it from this process (pinned to another core when there is one) over keep-alive HTTP/1.1
connections. It prints requests per second for each endpoint an import uses and for a mix of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from .catalog import Catalog

UNLIMITED = {
    "ticketmaster_per_s": 0,
    "ticketmaster_daily": 10**9,
    "spotify_per_30s": 0,
    "musicbrainz_per_s": 0,
}
ZERO = {"ticketmaster": 0, "spotify": 0, "musicbrainz": 0}


def _http(url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@contextlib.contextmanager
def simulator_process(core: int | None) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mysetlist_simulator", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if core is not None:
        os.sched_setaffinity(proc.pid, {core})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _http(f"{url}/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulator did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def scenarios(url: str) -> dict[str, list[str]]:
    """Request paths per scenario, from the simulator's own catalog."""
    artists = _http(f"{url}/_sim/artists")
    prolific = next(a for a in artists if a["profile"] == "prolific")
    headers = {"Authorization": f"Bearer {token(url)}"}
    albums = _http(f"{url}/v1/artists/{prolific['spotify_id']}/albums?limit=10&market=US", headers=headers)
    album_ids = [a["id"] for a in albums["items"]]
    tracks = _http(f"{url}/v1/albums/{album_ids[0]}/tracks?limit=50", headers=headers)
    track_ids = [t["id"] for t in tracks["items"]]
    tm, key = prolific["tm_attraction_id"], "sim-ticketmaster-key"
    paths = {
        "spotify track": [f"/v1/tracks/{t}?market=US" for t in track_ids],
        "spotify album tracks": [f"/v1/albums/{a}/tracks?limit=50&market=US" for a in album_ids],
        "spotify artist albums (10)": [
            f"/v1/artists/{prolific['spotify_id']}/albums?limit=10&offset={o}&market=US"
            for o in range(0, 200, 10)
        ],
        "musicbrainz live search": [
            f"/ws/2/release-group?query=arid:{prolific['mbid']}%20AND%20secondarytype:live"
        ],
        "ticketmaster events (20)": [
            f"/discovery/v2/events.json?apikey={key}&attractionId={tm}&page={p}" for p in range(10)
        ],
        "ticketmaster events (200)": [
            f"/discovery/v2/events.json?apikey={key}&attractionId={tm}&size=200&page={p}" for p in range(5)
        ],
    }
    paths["import mix"] = [
        p for name, ps in paths.items() if name != "ticketmaster events (200)" for p in ps[:10]
    ]
    return {name: [_request(url, p, headers) for p in ps] for name, ps in paths.items()}


def token(url: str) -> str:
    request = urllib.request.Request(
        f"{url}/api/token",
        data=b"grant_type=client_credentials&client_id=sim-spotify-client&client_secret=sim-spotify-secret",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def _request(url: str, path: str, headers: dict[str, str]) -> str:
    host = urlsplit(url).netloc
    agent = "User-Agent: mysetlist-loadtest/1.0 ( ops@example.org )"
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", agent, *(f"{k}: {v}" for k, v in headers.items())]
    return "\r\n".join(lines) + "\r\n\r\n"


async def _connection(
    url: str, requests: list[bytes], stop: float, counts: list[int], errors: list[int]
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    n = 0
    try:
        while time.perf_counter() < stop:
            writer.write(requests[n % len(requests)])
            n += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors[0] += 1
            counts[0] += 1
    finally:
        writer.close()


async def measure(url: str, requests: list[str], seconds: float, connections: int) -> tuple[float, int]:
    encoded = [r.encode() for r in requests]
    counts, errors = [0], [0]
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(
        *(_connection(url, encoded[i:] + encoded[:i], stop, counts, errors) for i in range(connections))
    )
    return counts[0] / (time.perf_counter() - start), errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="an already running simulator (its config is changed to latency 0, no limits)"
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    server_core = cores[0] if not args.url else None
    with contextlib.ExitStack() as stack:
        url = args.url or stack.enter_context(simulator_process(server_core))
        if len(cores) > 1 and server_core is not None:
            os.sched_setaffinity(0, set(cores) - {server_core})
        _http(f"{url}/_sim/config", {"latency_ms": ZERO, "jitter_ms": ZERO, "rate_limits": UNLIMITED})
        started = time.perf_counter()
        Catalog(1)
        generation_s = time.perf_counter() - started
        print(f"{'catalog generation (seed 1)':30} {generation_s:8.3f} s", flush=True)
        results: dict[str, Any] = {"catalog_generation_s": round(generation_s, 3)}
        for name, requests in scenarios(url).items():
            rate, errors = asyncio.run(measure(url, requests, args.seconds, args.connections))
            results[name] = {"requests_per_s": round(rate), "non_200": errors}
            print(f"{name:30} {rate:8.0f} req/s  ({errors} non-200)", flush=True)
        print(json.dumps({"server_core": server_core, "connections": args.connections, "results": results}))


if __name__ == "__main__":
    main()
