"""One request budget per upstream API key, shared by every process that uses the key.

Every replica of shows-ingest and catalog-ingest, the gateway's search and the ISRC backfill book their
requests in one PostgreSQL row per (upstream, sha256 of the key) (`rate_key`; the key itself is never
stored or logged). The row holds everything the key's limits need, so all of them are enforced together:

- pacing, GCRA as booked slots: `tat` is the next free slot; a booking of n slots is ONE statement that
  moves `tat` to max(tat, now) + n / rate and returns where the slots lie. `burst_s` is GCRA's tolerance:
  0 for Ticketmaster and MusicBrainz (a sliding-second spike arrest counts every burst), a few seconds for
  Spotify's rolling 30 s window (any 30 s then holds at most 1 + (30 + burst_s) x rate requests, and the
  rate is chosen so that stays under the window's number);
- a pause (`paused_until`, `pause_reason`): a Retry-After or a quota reset holds back every process at once;
- a daily quota (`quota_left` until `quota_reset_at`), counted down per booking and corrected from what
  the upstream says it has left (Ticketmaster's Rate-Limit-Available / Rate-Limit-Reset);
- a learned rate (AIMD): the configured rate is a ceiling; a 429 halves the shared rate at once (floor at
  `floor_per_s`; a 429 of a request booked before the last decrease is already answered by it), and it
  creeps back up by `increase_per_s2` per second without a 429 or a pause, computed lazily from the time
  elapsed (a pause's seconds do not count: while it lasts no request tells whether the rate is right).

Moments in the row are epoch seconds on the database's clock: the one clock all replicas share. A process
only ever turns them into durations ("this slot is in 0.35 s") measured on its own monotonic clock.

Inside a process, callers do not book for themselves. They queue per key, ordered by (priority, requests
their import has made so far, arrival), and a few bookers per key book slots for the queue, each only
within a short horizon of now, and hand each slot at its time to the best waiter then present:

- priority: a user's import is served before background work, also across processes, because the
  horizon depends on who waits: users may book up to USER_HORIZON_S ahead, background callers only a slot
  that is free now. While users anywhere keep the key busy, background work gets nothing.
- least attained service: among imports of one priority, the one that has made the fewest requests goes
  first. Import sizes are unknown up front; an import that has made few requests is likely a small one,
  so serving the least-served first approximates shortest-remaining-first (the order that minimises mean
  completion time) without knowing sizes: a sparse import's few requests go promptly while twenty
  prolific imports share the rest, and long imports still interleave rather than starve.
- the horizon also keeps one process from booking thousands of future slots at once: a process holds at
  most a horizon's worth of the key, so a newly requested import in another process waits for at most
  that much, not for everything booked before it.

When a caller would wait longer than it may (a pause, an exhausted quota, a long queue), `acquire` raises
`KeyBusy` without booking anything; the client turns that into `Parked` (inside a CallContext) or
`WaitCapExceeded`. When the budget's database cannot be reached, nothing is booked and so no request goes
upstream (a process never guesses): callers wait, then fail with the retryable `BudgetUnavailable`; a
gauge and one log line (not one per request) say so.

`MemoryLedger` keeps the same rows in a dict: for unit tests and single-process tools only.

The modules: `policy` (a key's configured limits), `ledger` (what a booking answers, and the ledger in
memory), `postgres` (the shared ledger: one SQL statement per booking), `key_budget` (this process's
queue for a key and its bookers), `registry` (one queue per key and event loop).
"""
