"""Run-time configuration: defaults, SIM_* environment variables and partial JSON updates.

Every field has a default whose type is the field's type; dict fields are merged key by key, so a
partial update such as ``{"latency_ms": {"spotify": 0}}`` changes only what it names.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from typing import Any

UPSTREAMS = ("ticketmaster", "spotify", "musicbrainz")
FAULT_KINDS = ("500", "502", "503", "timeout", "truncated", "html")
SPOTIFY_MODES = ("development", "extended")

DEFAULTS: dict[str, Any] = {
    "spotify_mode": "development",
    "audio_features_grandfathered": False,
    "latency_ms": {"ticketmaster": 60.0, "spotify": 60.0, "musicbrainz": 60.0},
    "jitter_ms": {"ticketmaster": 20.0, "spotify": 20.0, "musicbrainz": 20.0},
    "rate_limits": {
        "ticketmaster_per_s": 5.0,
        "ticketmaster_daily": 5000,
        "spotify_per_30s": 3000,
        "musicbrainz_per_s": 1.0,
    },
    # Sliding 1 s windows (Ticketmaster, MusicBrainz) look back 1 s minus this, so a client pacing
    # exactly at the limit is never rejected for a few milliseconds of scheduling noise.
    "rate_window_tolerance_ms": 50.0,
    "fault_rates": {kind: 0.0 for kind in FAULT_KINDS},
    "timeout_fault_s": 30.0,
    "unreliable_paging": False,
    "spotify_quota_exceeded": False,
    # 0 means "the seconds until the rolling window frees up"; set it to test long Retry-After values.
    "spotify_retry_after_s": 0,
    "ticketmaster_max_page_size": 200,
    "ticketmaster_api_key": "sim-ticketmaster-key",
    "spotify_client_id": "sim-spotify-client",
    "spotify_client_secret": "sim-spotify-secret",
    "token_ttl_s": 3600,
    # Ticketmaster's "daily" quota period: a short one lets a test live through a quota reset.
    "ticketmaster_quota_period_s": 86400.0,
    # Generated artists beside the fixed seven (mysetlist_simulator.population), made when first asked for.
    "population": 0,
}
MAX_POPULATION = 100_000

# Fixed at start: changing them needs a new process (the catalog is generated from the seed).
START_ONLY: dict[str, Any] = {"seed": 1, "host": "127.0.0.1", "port": 8100}


class ConfigError(ValueError):
    """A configuration value or key that the simulator does not accept."""


def _coerce(name: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{name} must be a boolean")
    if isinstance(default, int | float):
        if isinstance(value, bool):
            raise ConfigError(f"{name} must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name} must be a number") from None
        if number < 0:
            raise ConfigError(f"{name} must not be negative")
        return int(number) if isinstance(default, int) else number
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string")
    return value


class SimConfig:
    """Mutable settings of one simulator instance."""

    def __init__(self, seed: int = 1, host: str = "127.0.0.1", port: int = 8100, **overrides: Any) -> None:
        self.seed = seed
        self.host = host
        self.port = port
        self.values: dict[str, Any] = copy.deepcopy(DEFAULTS)
        if overrides:
            self.update(overrides)

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, **copy.deepcopy(self.values)}

    def update(self, partial: Mapping[str, Any]) -> None:
        """Apply a partial object atomically: either every named value is valid or nothing changes."""
        if not isinstance(partial, Mapping):
            raise ConfigError("config must be a JSON object")
        staged = copy.deepcopy(self.values)
        for key, value in partial.items():
            if key in START_ONLY:
                raise ConfigError(f"{key} is fixed at start (SIM_{key.upper()})")
            if key not in DEFAULTS:
                raise ConfigError(f"unknown config key: {key}")
            default = DEFAULTS[key]
            if isinstance(default, dict):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{key} must be an object with keys {sorted(default)}")
                for sub, subvalue in value.items():
                    if sub not in default:
                        raise ConfigError(f"unknown key {key}.{sub}; known: {sorted(default)}")
                    staged[key][sub] = _coerce(f"{key}.{sub}", default[sub], subvalue)
            else:
                staged[key] = _coerce(key, default, value)
        if staged["spotify_mode"] not in SPOTIFY_MODES:
            raise ConfigError(f"spotify_mode must be one of {SPOTIFY_MODES}")
        if (
            any(rate > 1 for rate in staged["fault_rates"].values())
            or sum(staged["fault_rates"].values()) > 1
        ):
            raise ConfigError("fault_rates are fractions of requests and must add up to at most 1")
        if staged["population"] > MAX_POPULATION:
            raise ConfigError(f"population must be at most {MAX_POPULATION}")
        if staged["ticketmaster_quota_period_s"] <= 0:
            raise ConfigError("ticketmaster_quota_period_s must be positive")
        if staged["ticketmaster_max_page_size"] < 1:
            raise ConfigError("ticketmaster_max_page_size must be at least 1")
        self.values = staged

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SimConfig:
        """Read SIM_<FIELD>; dict fields take SIM_<FIELD>_<KEY>, a JSON object, or one number for all keys."""
        env = os.environ if environ is None else environ
        try:
            config = cls(
                seed=int(env.get("SIM_SEED", START_ONLY["seed"])),
                host=env.get("SIM_HOST", START_ONLY["host"]),
                port=int(env.get("SIM_PORT", START_ONLY["port"])),
            )
        except ValueError as exc:
            raise ConfigError(f"SIM_SEED and SIM_PORT must be integers: {exc}") from None
        partial: dict[str, Any] = {}
        for key, default in DEFAULTS.items():
            raw = env.get(f"SIM_{key.upper()}")
            if isinstance(default, dict):
                merged: dict[str, Any] = {}
                if raw is not None:
                    merged.update(_parse_dict_env(key, raw, default))
                for sub in default:
                    sub_raw = env.get(f"SIM_{key.upper()}_{sub.upper()}")
                    if sub_raw is not None:
                        merged[sub] = sub_raw
                if merged:
                    partial[key] = merged
            elif raw is not None:
                partial[key] = raw
        config.update(partial)
        return config


def _parse_dict_env(key: str, raw: str, default: dict[str, Any]) -> dict[str, Any]:
    raw = raw.strip()
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"SIM_{key.upper()} is not valid JSON: {exc}") from None
        if not isinstance(parsed, dict):
            raise ConfigError(f"SIM_{key.upper()} must be a JSON object")
        return parsed
    return dict.fromkeys(default, raw)
