"""The fault trials. Each is a small function: start imports, inject the fault, wait, heal; it returns the
moment the fault was over (time.monotonic()), from which the runner counts the time to recover. The
runner checks every import and artist afterwards (run.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .cluster import Cluster
from .driver import Driver

# The simulator between trials: its defaults, but a timeout fault holds 25 s instead of 30 s (still past
# the services' HTTP_TIMEOUT_S of 20 s in the chaos runs, so they time out).
BASELINE = {
    "fault_rates": {"500": 0, "502": 0, "503": 0, "timeout": 0, "truncated": 0, "html": 0},
    "latency_ms": {"ticketmaster": 60, "spotify": 60, "musicbrainz": 60},
    "timeout_fault_s": 25,
    "ticketmaster_max_page_size": 200,
}

SLOW_SPOTIFY_MS = 15000  # the prolific artist's catalog phase then lasts over a minute (9 s: 53 s)


@dataclass(frozen=True)
class Trial:
    name: str
    fault: str  # the table's "fault" column
    run: Callable[[Driver, Cluster], float]
    settle_s: float = 300.0  # how long every import may take to end once the fault is over


# ---------------------------------------------------------------- processes


def kill_mid_phase(service: str, phase: str) -> Callable[[Driver, Cluster], float]:
    """kill -9 of one replica's process group at a random point of a phase, then start it again."""

    def run(d: Driver, c: Cluster) -> float:
        d.kick_off()
        d.phase_running(phase)
        time.sleep(d.rng.uniform(0.0, 2.0))
        victim = d.rng.choice(c.names(service))
        c.kill(victim)
        killed_at = time.monotonic()
        c.start(victim)
        return killed_at

    return run


# ---------------------------------------------------------------- Kafka and PostgreSQL


def kafka_killed(d: Driver, c: Cluster) -> float:
    """kill -9 of the broker mid-import, restarted a few seconds later."""
    d.kick_off()
    d.phase_running("catalog")
    c.kill_kafka()
    d.watch(d.rng.uniform(2.0, 5.0))
    c.start_kafka()
    return time.monotonic()


def postgres_stopped(seconds: float) -> Callable[[Driver, Cluster], float]:
    def run(d: Driver, c: Cluster) -> float:
        d.kick_off()
        d.phase_running("catalog")
        c.stop_postgres()
        time.sleep(seconds)  # nothing to watch: the statuses live in PostgreSQL
        c.start_postgres()
        return time.monotonic()

    return run


# ---------------------------------------------------------------- upstream faults


def upstream_faults(fault_rates: dict[str, float], seconds: float) -> Callable[[Driver, Cluster], float]:
    """Faulty upstream answers for `seconds` while the imports run, then a healthy upstream."""

    def run(d: Driver, c: Cluster) -> float:
        d.configure(fault_rates=fault_rates)
        d.kick_off()
        d.watch(seconds)
        d.configure(fault_rates=BASELINE["fault_rates"])
        return time.monotonic()

    return run


def phase_longer_than_poll_interval(d: Driver, c: Cluster) -> float:
    """Catalog phases of more than the consumers' 60 s max poll interval (a slow Spotify): the consumers
    only enqueue, so no member is thrown out and nothing is delivered twice (PhaseStarted events and
    rebalances are counted)."""
    replicas = c.names("shows-ingest") + c.names("catalog-ingest")
    deadline = time.monotonic() + 120  # the groups settled first: their first assignment is no rebalance
    while time.monotonic() < deadline and not all(c.has_partitions(name) for name in replicas):
        time.sleep(0.5)
    logged = {name: c.log_size(name) for name in replicas}
    d.configure(latency_ms={"spotify": SLOW_SPOTIFY_MS})
    started = time.monotonic()
    d.kick_off()
    d.settle(600)
    d.notes["longest_import_s"] = round(max(d.ended_at.values(), default=started) - started, 1)
    d.notes["rebalances"] = sum(len(c.assignments(name, logged[name])) for name in replicas)
    d.notes["deliveries_per_import"] = sum(c.deliveries(n, logged[n]) for n in replicas) / len(d.imports)
    if d.notes["longest_import_s"] <= 60:
        d.problems.append(f"no import lasted over 60 s ({d.notes['longest_import_s']} s): slow it down more")
    if d.notes["rebalances"] or d.notes["deliveries_per_import"] != 2:  # one per ingest service
        d.problems.append("a consumer group rebalanced or a message came twice during a long phase")
    d.configure(latency_ms=BASELINE["latency_ms"])
    return time.monotonic()


def kill_during_upstream_faults(d: Driver, c: Cluster) -> float:
    """Two faults at once: 20 % upstream 5xx while a catalog-ingest replica is killed mid-phase."""
    d.configure(fault_rates={"500": 0.1, "503": 0.1})
    d.kick_off()
    d.phase_running("catalog")
    victim = d.rng.choice(c.names("catalog-ingest"))
    c.kill(victim)
    c.start(victim)
    d.watch(10)
    d.configure(fault_rates=BASELINE["fault_rates"])
    return time.monotonic()


def postgres_stop_during_kafka_kill(d: Driver, c: Cluster) -> float:
    """Two faults at once: Kafka killed and PostgreSQL stopped together for a few seconds."""
    d.kick_off()
    d.phase_running("shows")
    c.kill_kafka()
    c.stop_postgres()
    time.sleep(d.rng.uniform(2.0, 5.0))
    c.start_postgres()
    c.start_kafka()
    return time.monotonic()


# ---------------------------------------------------------------- problem 5


def restart_after_up_then_kill(d: Driver, c: Cluster) -> float:
    """Right after the services start, every shows-ingest process is killed mid-import and started again
    (issue 11, problem 5): the phase is recovered through its job's lease."""
    c.stop_services()
    c.start_services()
    d.configure(latency_ms={"ticketmaster": 400})
    prolific = [a for a in d.sample_artists() if a["profile"] == "prolific"]
    d.kick_off(prolific)
    d.phase_running("shows")
    names = c.names("shows-ingest")
    for name in names:
        c.kill(name)
    killed_at = time.monotonic()
    logged = {name: c.log_size(name) for name in names}
    c.start(*names)
    d.notes["restarted_s"] = round(time.monotonic() - killed_at, 1)
    d.configure(latency_ms=BASELINE["latency_ms"])

    # How long the restarted consumers took to get partitions back (what held problem 5 for 5 minutes)
    deadline = time.monotonic() + 400
    while time.monotonic() < deadline and not all(c.has_partitions(n, logged[n]) for n in names):
        d.watch(0.5)  # the imports' ends are recorded meanwhile
    d.notes["partitions_s"] = round(time.monotonic() - killed_at, 1)
    return killed_at


# ---------------------------------------------------------------- the suite


def kill_trials(service: str, phase: str, count: int) -> list[Trial]:
    return [
        Trial(f"kill -9 {service} #{i + 1}", f"kill -9 {service}", kill_mid_phase(service, phase))
        for i in range(count)
    ]


SUITE: list[Trial] = [
    *kill_trials("shows-ingest", "shows", 3),
    *kill_trials("catalog-ingest", "catalog", 3),
    *kill_trials("progress", "catalog", 1),
    *kill_trials("gateway", "shows", 1),
    Trial("kafka killed", "Kafka kill -9 + restart", kafka_killed),
    Trial("postgres 3 s", "PostgreSQL stopped 3 s", postgres_stopped(3)),
    Trial("postgres 60 s", "PostgreSQL stopped 60 s", postgres_stopped(60)),
    Trial(
        "upstream 5xx+timeouts",
        "20 % upstream 5xx and timeouts",
        upstream_faults({"500": 0.05, "502": 0.05, "503": 0.05, "timeout": 0.05}, 20),
    ),
    Trial(
        "truncated+html", "10 % truncated + 10 % HTML", upstream_faults({"truncated": 0.1, "html": 0.1}, 20)
    ),
    Trial("slow phase", "phase > 60 s max poll interval", phase_longer_than_poll_interval),
    Trial("kill + 5xx", "catalog kill -9 + 20 % 5xx", kill_during_upstream_faults),
    Trial("kafka + postgres", "Kafka kill -9 + PostgreSQL stop", postgres_stop_during_kafka_kill),
]
PROBLEM_5: list[Trial] = [
    Trial(f"problem 5 #{i + 1}", "kill -9 shows-ingest after start", restart_after_up_then_kill)
    for i in range(5)
]
# What `make test` runs (tests/chaos): a catalog-ingest replica killed mid-phase, PostgreSQL stopped 3 s.
SHORT: list[Trial] = [
    Trial("kill -9 catalog-ingest", "kill -9 catalog-ingest", kill_mid_phase("catalog-ingest", "catalog")),
    Trial("postgres 3 s", "PostgreSQL stopped 3 s", postgres_stopped(3)),
]
