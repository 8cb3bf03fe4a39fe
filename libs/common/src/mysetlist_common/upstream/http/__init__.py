"""The HTTP layer every upstream client shares, as small strategy objects on httpx.AsyncClient.

- `client.UpstreamClient`: one GET of JSON, paced by the key's shared budget (`upstream.budget`),
  classified, retried, capped in how long it waits (or parking the phase), and journaled.
- `pacing`, `backoff`, `journal`: the client's slot in the key's budget (parking a phase rather than
  waiting too long), its waits between tries, and the phase's journal of answers it replays from.
- `classify`: a response's `Verdict` (done, retry after a while or at a moment, or fail).
- `paginators` and `paging`: listings of many pages, one paginator per paging style and one loop.
- `errors`: what a call raises, in messages that hold no secret.
"""
