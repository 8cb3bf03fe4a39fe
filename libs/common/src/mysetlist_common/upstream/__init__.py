"""Upstream API clients (Ticketmaster, Spotify, MusicBrainz) on one shared HTTP layer (`http`)."""
