"""One settings object for every service, read from the environment (never logged)."""

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SIM = "http://127.0.0.1:8100"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = "postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:55432/mysetlist"
    database_connect_timeout_s: float = Field(
        default=3.0,
        description="longest wait for a new PostgreSQL connection: an outage answers 503, not a hang",
    )
    database_pool_timeout_s: float = Field(
        default=5.0, description="longest wait for a free pooled PostgreSQL connection before 503"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:59092"
    kafka_topic_prefix: str = ""  # tests isolate themselves with a unique prefix
    kafka_partitions: int = 8  # caps how many imports a consumer group runs at once
    kafka_replication_factor: int = 1
    consumer_redelivery_delay_s: float = 2.0  # wait before a failed message is redelivered

    ticketmaster_base_url: str = f"{SIM}/discovery/v2"
    ticketmaster_api_key: SecretStr = SecretStr("sim-ticketmaster-key")
    ticketmaster_requests_per_second: float = 5.0
    # the daily quota per key, until the API's Rate-Limit-Available / Rate-Limit-Reset headers say otherwise
    ticketmaster_requests_per_day: int = 5000
    ticketmaster_page_size: int = 200
    ticketmaster_quota_wait_cap_s: float = 60.0

    spotify_api_base_url: str = f"{SIM}/v1"
    spotify_accounts_base_url: str = f"{SIM}/api"
    spotify_client_id: str = "sim-spotify-client"
    spotify_client_secret: SecretStr = SecretStr("sim-spotify-secret")
    spotify_market: str = "US"
    spotify_mode: str = "auto"  # auto | development | extended
    spotify_retry_after_cap_s: float = 60.0
    # Spotify publishes no number for its rolling 30 s window; the simulator's default is 3000.
    spotify_requests_per_30s: float = 3000.0

    musicbrainz_base_url: str = f"{SIM}/ws/2"
    musicbrainz_enabled: bool = True
    musicbrainz_user_agent: str = "MySetlistImport/0.1 ( ops@mysetlist.example )"
    musicbrainz_timeout_s: float = 5.0
    musicbrainz_requests_per_s: float = 1.0
    musicbrainz_cache_ttl_s: float = 3600.0  # an artist's live release groups, per process

    # catalog-ingest: how long to wait for the shows phase to record the artist's identity
    catalog_identity_wait_s: float = 15.0
    # low-priority ISRC backfill after a Development-mode import (single-track calls per second; 0 = off)
    catalog_isrc_backfill_per_s: float = 2.0

    # Phases run as durable jobs (mysetlist_common.phases.phase_jobs), claimed by any replica.
    phase_workers: int = Field(
        default=50, description="phases one ingest process runs at once (the upstream budgets pace them)"
    )
    phase_lease_s: float = Field(
        default=15.0, description="how soon another replica takes over the phase of a crashed worker"
    )
    phase_wait_cap_s: float = Field(
        default=60.0,
        description="longest a phase waits for upstream budgets in all before it parks (`waiting`)",
    )
    phase_max_failures: int = Field(
        default=4, description="retryable errors (upstream outages, crashes) a phase survives"
    )

    # The resync planner (gateway: POST /api/admin/resync, `mysetlist resync`, the CronJob).
    resync_quota_share: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="share of Ticketmaster's daily quota background resyncs may use (the rest: users)",
    )
    resync_min_age_s: float = Field(
        default=21600.0, ge=0, description="an artist synced more recently than this is not resynced"
    )

    http_timeout_s: float = 10.0
    http_max_retries: int = 6

    admin_token: SecretStr = SecretStr("")

    # hostile clients (the client is the peer address; see trusted_proxies)
    max_request_body_bytes: int = Field(default=65536, description="larger request bodies answer 413")
    kickoff_limit_per_client_per_min: int = Field(
        default=300,
        description="kickoffs (POST /api/artists/import) per client per minute, then 429; 0 = no limit",
    )
    cors_origins: str = Field(
        default="", description="origins allowed by CORS, comma-separated (empty: no CORS headers at all)"
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses or networks (comma-separated) whose X-Forwarded-For names the client; "
        "empty: X-Forwarded-For is ignored and the client is the peer address",
    )

    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8000
    progress_host: str = "127.0.0.1"
    progress_port: int = 8001
    progress_base_url: str = "http://127.0.0.1:8001"
    # gateway: how long an artist search answer is reused (Ticketmaster allows 5 requests/s per key)
    search_cache_ttl_s: float = 60.0
    shows_ingest_host: str = "127.0.0.1"
    shows_ingest_port: int = 8002
    catalog_ingest_host: str = "127.0.0.1"
    catalog_ingest_port: int = 8003
    simulator_port: int = 8100
    prometheus_port: int = 9090

    import_stall_timeout_s: float = Field(
        default=300.0, description="phases silent this long fail the import"
    )
    sse_heartbeat_s: float = 15.0
    sse_streams_per_client: int = Field(
        default=50,
        description="open SSE streams per client (gateway and progress each), then 429; 0 = no limit",
    )
    outbox_poll_interval_s: float = 0.05


@lru_cache
def get_settings() -> Settings:
    return Settings()
