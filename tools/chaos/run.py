"""`make chaos`: every fault trial against a cluster of its own (2 replicas of each ingest service),
each followed by a check of every import and artist; prints the table and writes bench-results/chaos.json.

    PYTHONPATH=tools python -m chaos.run [--seed N] [--only SUBSTRING ...] [--problem-5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import check
from .cluster import REPO, Cluster
from .driver import Driver
from .trials import BASELINE, PROBLEM_5, SUITE, Trial

RESULTS = REPO / "bench-results"
# The services' settings beyond the defaults: a client timeout that lets the slow-phase trial's 15 s
# answers through (production's 10 s would turn them into timeouts).
SETTINGS = {"HTTP_TIMEOUT_S": "20"}


@dataclass
class Outcome:
    trial: str
    fault: str
    imports: int = 0
    completed: int = 0
    failed: int = 0
    unfinished: int = 0
    rows_lost: int = 0
    rows_duplicated: int = 0
    rows_wrong: int = 0
    phases_restarted: int = 0
    recover_s: float | None = None
    notes: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        wrong_rows = self.rows_lost or self.rows_duplicated or self.rows_wrong
        return self.completed == self.imports and not wrong_rows and not self.problems


def run_trial(trial: Trial, d: Driver, c: Cluster) -> Outcome:
    """Reset, run the trial (inject, wait, heal), let every import end, check."""
    c.start_services()  # whatever an earlier trial left down
    d.reset(BASELINE)
    out = Outcome(trial.name, trial.fault)
    try:
        healed_at = trial.run(d, c)
        d.settle(trial.settle_s)
    except Exception as exc:  # the trial itself broke: reported, the suite goes on
        out.problems.append(f"trial: {type(exc).__name__}: {exc}")
        healed_at = time.monotonic()
        d.configure(**BASELINE)
        d.settle(trial.settle_s)
    stages = d.final_stages()
    out.imports = len(d.imports)
    out.completed = sum(s == "completed" for s in stages.values())
    out.failed = sum(s == "failed" for s in stages.values())
    out.unfinished = out.imports - out.completed - out.failed
    if d.ended_at:
        out.recover_s = round(max(0.0, max(d.ended_at.values()) - healed_at), 1)
    verdict = asyncio.run(check.artists(c.database_url, c.simulator_url, d.artist_ids))
    out.rows_lost, out.rows_duplicated = verdict.rows_lost, verdict.rows_duplicated
    out.rows_wrong, out.phases_restarted = verdict.rows_wrong, verdict.phase_starts
    out.problems += verdict.problems[:20]
    out.notes = dict(d.notes)
    out.problems += d.problems
    return out


def table(outcomes: list[Outcome]) -> str:
    """One line per kind of fault: trials, imports completed and failed, rows lost and duplicated, and
    the time from the fault's end to the last import's end (median / max)."""
    head = f"{'fault':<36} {'trials':>6} {'completed':>11} {'failed':>6} {'lost':>5} {'dup':>4}"
    head += f" {'recover s':>13}"
    lines = [head, "-" * len(head)]
    for fault in dict.fromkeys(o.fault for o in outcomes):
        group = [o for o in outcomes if o.fault == fault]
        times = [o.recover_s for o in group if o.recover_s is not None]
        recover = f"{statistics.median(times):.1f} / {max(times):.1f}" if times else "-"
        completed = f"{sum(o.completed for o in group)}/{sum(o.imports for o in group)}"
        lines.append(
            f"{fault:<36} {len(group):>6} {completed:>11} {sum(o.failed for o in group):>6}"
            f" {sum(o.rows_lost for o in group):>5} {sum(o.rows_duplicated for o in group):>4} {recover:>13}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", nargs="*", default=[], help="run the trials whose name contains one")
    parser.add_argument("--problem-5", action="store_true", help="also the 5 problem-5 trials")
    parser.add_argument("--home", type=Path, default=REPO / ".local-chaos")
    parser.add_argument("--out", type=Path, default=RESULTS / "chaos.json")
    args = parser.parse_args(argv)
    trials = SUITE + (PROBLEM_5 if args.problem_5 else [])
    if args.only:
        trials = [t for t in SUITE + PROBLEM_5 if any(s in t.name for s in args.only)]
    cluster = Cluster(args.home, settings=SETTINGS)
    driver = Driver(cluster, random.Random(args.seed))
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        cluster.up()
        for trial in trials:
            print(f"chaos: {trial.name} ...", flush=True)
            outcome = run_trial(trial, driver, cluster)
            outcomes.append(outcome)
            print(f"chaos: {trial.name}: {'ok' if outcome.ok else 'NOT OK'} {json.dumps(asdict(outcome))}")
    finally:
        cluster.down()
    print(table(outcomes))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "seed": args.seed,
        "replicas": cluster.replicas,
        "wall_seconds": round(time.monotonic() - started, 1),
        "trials": [asdict(o) | {"ok": o.ok} for o in outcomes],
    }
    args.out.write_text(json.dumps(result, indent=2))
    print(f"chaos: {sum(o.ok for o in outcomes)}/{len(outcomes)} trials ok; {args.out}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
