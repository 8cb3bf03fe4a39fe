"""Benchmark dispatcher: runs `main()` of every bench/bench_*.py (or those named on the command line) and
writes each one's result as JSON into bench-results/<name>.json, plus a summary.json.

A benchmark's main() returns a JSON-serialisable dict (figures with their units in the keys) or None.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import json
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "bench-results"
sys.path.insert(0, str(HERE))  # benchmarks share bench/harness.py


def discover(names: list[str]) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if names:
        wanted = {n.removeprefix("bench_").removesuffix(".py") for n in names}
        found = [p for p in found if p.stem.removeprefix("bench_") in wanted]
    return found


def run_one(path: Path) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    started = time.perf_counter()
    try:
        spec.loader.exec_module(module)
        main = getattr(module, "main", None)
        if main is None:
            return {"status": "skipped", "reason": "no main()"}
        result = main()
        if inspect.isawaitable(result):
            result = asyncio.run(result)  # type: ignore[arg-type]
        return {"status": "ok", "result": result, "wall_seconds": round(time.perf_counter() - started, 3)}
    except Exception:
        return {
            "status": "error",
            "error": traceback.format_exc(),
            "wall_seconds": time.perf_counter() - started,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    summary: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "benchmarks": {},
    }
    failed = 0
    for path in discover(args.names):
        name = path.stem.removeprefix("bench_")
        print(f"bench {name} ...", flush=True)
        outcome = run_one(path)
        (RESULTS / f"{name}.json").write_text(json.dumps(outcome, indent=2, default=str))
        summary["benchmarks"][name] = outcome["status"]
        print(f"bench {name}: {outcome['status']}", flush=True)
        if outcome["status"] == "error":
            print(outcome["error"], file=sys.stderr)
            failed += 1
    if not summary["benchmarks"]:
        print("no benchmarks found (bench/bench_*.py)")
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2))
    print(f"results in {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
