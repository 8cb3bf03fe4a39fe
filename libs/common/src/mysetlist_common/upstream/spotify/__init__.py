"""Spotify: the client (`client`), its token (`auth`) and its answers, typed (`models`)."""
