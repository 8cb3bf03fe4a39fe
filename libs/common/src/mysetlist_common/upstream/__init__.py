"""Upstream API clients (Ticketmaster, Spotify, MusicBrainz) on one shared HTTP layer.

- `calls`: who is calling (priority, the import, the phase's journal of answers), and `Parked`.
- `budget`: one request budget per API key, shared by every process that uses the key.
- `http`: what every client shares: one request (`client`), its classification, paging.
- `ticketmaster`, `spotify`, `musicbrainz`: the clients, each with its answers typed.
"""
