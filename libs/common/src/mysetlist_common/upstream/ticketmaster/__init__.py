"""Ticketmaster Discovery v2: the client (`client`), its answers, typed (`models`), and the date windows
that reach every event of an attraction (`windows`)."""
