"""Spotify's accounts service (client-credentials tokens at /api/token) and what the Web API checks on
every request: a valid bearer token, the app's quota, and the rolling 30-second rate limit with its
Retry-After penalty."""

from __future__ import annotations

import base64
import math
import secrets
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from .core import ADMIT, Sim, Verdict, json_response
from .limits import clock
from .spotify_json import error


async def token(sim: Sim, request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 400)
    if form.get("grant_type") != "client_credentials":
        body = {"error": "unsupported_grant_type", "error_description": "grant_type parameter is missing"}
        return json_response(body, 400)
    if client_id != sim.config.spotify_client_id:
        return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 400)
    if client_secret != sim.config.spotify_client_secret:
        return json_response({"error": "invalid_client", "error_description": "Invalid client secret"}, 400)
    now = clock()
    if len(sim.tokens) > 10_000:
        sim.tokens = {t: exp for t, exp in sim.tokens.items() if exp > now}
    access = secrets.token_urlsafe(48)
    ttl = int(sim.config.token_ttl_s)
    sim.tokens[access] = now + ttl
    return json_response({"access_token": access, "token_type": "Bearer", "expires_in": ttl})


def no_check(sim: Sim, request: Request) -> Verdict:
    return ADMIT


def check(sim: Sim, request: Request) -> Verdict:
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return Verdict(error(401, "No token provided"))
    now = clock()
    expiry = sim.tokens.get(auth[7:].strip())
    if expiry is None:
        return Verdict(error(401, "Invalid access token"))
    if now >= expiry:
        return Verdict(error(401, "The access token expired"))
    if sim.config.spotify_quota_exceeded:
        response = error(429, "API rate limit exceeded", reason="QUOTA_EXCEEDED")
        response.headers["Retry-After"] = "86400"
        return Verdict(response, rate_limited=True)
    key = f"sp:{sim.config.spotify_client_id}"
    wait = sim.penalty.blocked(key, now)
    if wait <= 0:
        accepted, frees_in = sim.windows.admit(key, int(sim.config.rate_limits["spotify_per_30s"]), 30.0, now)
        if accepted:
            return ADMIT
        wait = sim.config.spotify_retry_after_s or frees_in
        sim.penalty.block(key, wait, now)
    response = error(429, "API rate limit exceeded")
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return Verdict(response, rate_limited=True)
