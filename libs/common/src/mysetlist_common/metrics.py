"""Prometheus metrics named once. Bucket edges sit exactly on the SLO thresholds (0.2 s, 30 s, 45 s)."""

from prometheus_client import Counter, Gauge, Histogram

KICKOFF_LATENCY = Histogram(
    "mysetlist_kickoff_latency_seconds",
    "POST /api/artists/import, request in to answer out",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5),
)
PHASE_DURATION = Histogram(
    "mysetlist_phase_duration_seconds",
    "Duration of one import phase",
    ["phase", "outcome"],
    buckets=(0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 45, 60, 120, 300),
)
IMPORTS_FINISHED = Counter("mysetlist_imports_finished_total", "Imports settled, by outcome", ["outcome"])
SSE_CLIENTS = Gauge("mysetlist_sse_clients", "Open SSE streams")
SSE_DELIVERY_LATENCY = Histogram(
    "mysetlist_sse_delivery_latency_seconds",
    "Event occurred_at to written to an SSE client",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5),
)
UPSTREAM_REQUESTS = Counter(
    "mysetlist_upstream_requests_total", "Requests to upstream APIs", ["upstream", "status"]
)
UPSTREAM_RATE_LIMITED = Counter("mysetlist_upstream_rate_limited_total", "429s met", ["upstream"])
DEAD_LETTERS = Counter("mysetlist_dead_letters_total", "Messages routed to a dead-letter topic", ["topic"])
UPSTREAM_RATE_LEARNED = Gauge(
    "mysetlist_upstream_rate_limit_learned",
    "Requests per second the shared budget of an API key paces at now (Spotify's learned rate: halved "
    "by a 429, creeping back up while none comes; the others their configured pace)",
    ["upstream"],
)
UPSTREAM_KEY_PAUSES = Counter(
    "mysetlist_upstream_key_pauses_total",
    "Pauses of a shared API key this process ordered (a 429's Retry-After or a daily quota)",
    ["upstream"],
)
UPSTREAM_PARKED = Counter(
    "mysetlist_upstream_parked_total",
    "Calls parked: the key's wait exceeded the phase's allowance",
    ["upstream"],
)
UPSTREAM_BUDGET_UNAVAILABLE = Gauge(
    "mysetlist_upstream_budget_unavailable",
    "1 while the shared budget's database cannot be reached: no request to that upstream is made",
    ["upstream"],
)
UPSTREAM_SLOTS_LATE = Counter(
    "mysetlist_upstream_slots_late_total",
    "Booked slots of a paced key left unused: this process got to them too late (a busy event loop)",
    ["upstream"],
)
CLIENT_LIMITED = Counter(
    "mysetlist_client_limited_total",
    "Requests refused with 429 by a per-client limit (kickoff rate, open SSE streams)",
    ["limit"],
)
