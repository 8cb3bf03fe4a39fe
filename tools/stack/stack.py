"""The local stack without Docker: Apache Kafka (KRaft, from Maven jars), PostgreSQL (Debian's server),
migrations, every service that exists, the upstream simulator and Prometheus.

    python3 tools/stack/stack.py up|down|status|infra

Everything lives under the git-ignored `.local/` folder: data, logs and pid files. Stdlib only, so it runs
before `uv sync` and the root conftest.py can import it to start the same Kafka and PostgreSQL for tests.
Ports follow the project's settings names (GATEWAY_PORT, ..., KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import functools
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

sys.path.insert(0, str(Path(__file__).resolve().parent))  # its sibling modules, however it is loaded
from processes import Daemon, ServiceProcess
from replicas import Replica, ReplicaError, count, leftovers

REPO = Path(__file__).resolve().parents[2]
STACK = Path(__file__).resolve().parent
LOCAL = Path(os.environ.get("MYSETLIST_LOCAL_DIR", REPO / ".local"))
LOGS = LOCAL / "logs"
RUN = LOCAL / "run"
RULES = REPO / "deploy" / "observability" / "prometheus-rules.yml"

DEFAULT_KAFKA = "127.0.0.1:59092"
KAFKA_JARS = ("kafka_2.13-*.jar", "kafka-tools-[0-9]*.jar")  # the broker, the operators' tools
DEFAULT_DATABASE_URL = "postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:55432/mysetlist"


class StackError(RuntimeError):
    """A problem the person running the stack has to fix; the message says how."""


def say(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------- small helpers


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return 200 <= r.status < 300
    except (OSError, urllib.error.URLError):
        return False


def wait_until(
    check: Callable[[], bool], timeout: float, what: str, proc_alive: Callable[[], bool] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc_alive is not None and not proc_alive():
            raise StackError(f"{what} exited during start-up")
        time.sleep(0.2)
    raise StackError(f"{what} not ready after {timeout:.0f}s")


@contextlib.contextmanager
def stack_lock() -> Iterator[None]:
    """Serialise starts and stops: several test sessions may ask for the same broker at once."""
    LOCAL.mkdir(parents=True, exist_ok=True)
    with open(LOCAL / "stack.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# ---------------------------------------------------------------- Kafka


def kafka_port_from_env() -> int:
    first = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA).split(",")[0]
    return int(first.rsplit(":", 1)[1])


@dataclass
class Kafka:
    """One KRaft node (broker and controller in one JVM) run from the jars Maven resolved."""

    home: Path = LOCAL / "kafka"
    port: int = field(default_factory=kafka_port_from_env)
    controller_port: int = field(
        default_factory=lambda: int(os.environ.get("KAFKA_CONTROLLER_PORT", "59093"))
    )
    libs: Path = LOCAL / "kafka" / "libs"
    heap: str = "512m"

    @property
    def data(self) -> Path:
        return self.home / "data"

    def __post_init__(self) -> None:
        self.daemon = Daemon("kafka", self.home / "kafka.pid", self.home / "kafka.log")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def install(self) -> None:
        """Resolve the broker's jars from Maven Central through the pinned pom (once)."""
        if self.libs.is_dir() and all(any(self.libs.glob(jar)) for jar in KAFKA_JARS):
            return
        require_java()
        if shutil.which("mvn") is None:
            raise StackError(
                "Maven (mvn) is missing: it resolves the Kafka jars. Install it (Debian: apt-get install"
                " maven; macOS: brew install maven) or use `docker compose up`."
            )
        say(f"kafka: resolving jars with Maven into {self.libs}")
        tmp = self.libs.with_name("libs.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(STACK / "kafka" / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={tmp}",
            ],
        )
        if not self.libs.is_dir():
            tmp.rename(self.libs)
            return
        # an older install lacks a jar the pom added since: add the missing ones, never touch the broker's
        for jar in tmp.glob("*.jar"):
            if not (self.libs / jar.name).exists():
                jar.rename(self.libs / jar.name)
        shutil.rmtree(tmp, ignore_errors=True)

    def configure(self) -> Path:
        self.home.mkdir(parents=True, exist_ok=True)
        values = {"PORT": self.port, "CONTROLLER_PORT": self.controller_port, "DATA": self.data}
        text = Template((STACK / "kafka" / "server.properties").read_text()).substitute(values)
        conf = self.home / "server.properties"
        conf.write_text(text)
        return conf

    def java(self, *args: str) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={STACK / 'kafka' / 'log4j2.properties'}",
            "-cp",
            f"{self.libs}/*",
            *args,
        ]

    def format(self, conf: Path) -> None:
        """Format the data folder once; later starts find meta.properties and keep every message."""
        if (self.data / "meta.properties").exists():
            return
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # `--cluster-id=`: an id that starts with "-" would otherwise read as an option
        run(self.java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(conf)))

    def running(self) -> bool:
        return self.daemon.pid() is not None

    def start(self, timeout: float = 90.0) -> str:
        """Start unless running. Returns 'running', 'started' or 'external' (port served by someone else)."""
        daemon = self.daemon
        if daemon.pid() is not None:
            wait_until(lambda: port_open(self.port), timeout, f"kafka on {self.port}")
            return "running"
        if port_open(self.port):
            return "external"
        require_java()
        self.install()
        conf = self.configure()
        self.format(conf)
        daemon.spawn(self.java("kafka.Kafka", str(conf)))
        try:
            wait_until(lambda: port_open(self.port), timeout, "kafka", daemon.alive)
        except StackError as err:
            raise StackError(f"{err}; see {daemon.logfile}") from None
        return "started"

    def stop(self) -> bool:
        stopped = self.daemon.stop(grace=60)
        if stopped:  # a broker we did not start (port served by someone else) is left alone
            ports = (self.port, self.controller_port)
            wait_until(lambda: not any(port_open(port) for port in ports), 30, "kafka stop")
        return stopped


def require_java() -> None:
    if shutil.which("java") is None:
        raise StackError(
            "Java is missing: Kafka needs Java 17 or newer. Install it (Debian: apt-get install"
            " openjdk-17-jre-headless; macOS: brew install openjdk@17) or use `docker compose up`."
        )


# ---------------------------------------------------------------- PostgreSQL


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def pg_bin_dir() -> Path | None:
    """Debian's server binaries (newest version first), else whatever pg_config or PATH offers."""
    if os.environ.get("PG_BIN_DIR"):
        return Path(os.environ["PG_BIN_DIR"])
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
        reverse=True,
    )
    if found:
        return Path(found[0]).parent
    if shutil.which("pg_config"):
        bindir = Path(
            subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True).stdout.strip()
        )
        if (bindir / "initdb").exists():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


@dataclass
class Postgres:
    """A throwaway cluster under .local/pg, run by the `postgres` user when we are root
    (initdb refuses root)."""

    home: Path = LOCAL / "pg"
    url: str = field(default_factory=database_url)

    @property
    def parsed(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.url.replace("+asyncpg", ""))

    @property
    def port(self) -> int:
        return self.parsed.port or 5432

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def sockets(self) -> Path:
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        return self.home / "postgres.log"

    def install(self) -> Path:
        bindir = pg_bin_dir()
        if bindir is not None:
            return bindir
        if os.geteuid() == 0 and shutil.which("apt-get"):
            say("postgres: installing Debian's postgresql server")
            apt_install(["postgresql"])
            bindir = pg_bin_dir()
            if bindir is not None:
                return bindir
        raise StackError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: apt-get install"
            " postgresql; macOS: brew install postgresql@16), set PG_BIN_DIR, or use `docker compose up`."
        )

    def _as_owner(self, argv: Sequence[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return list(argv)

    def _prepare_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise StackError(
                "initdb refuses root and there is no `postgres` user to run it: create one"
                " (Debian's postgresql package does) or run the stack as an ordinary user"
            ) from None
        for path in (self.home, self.sockets, *([self.data] if self.data.exists() else [])):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        # The postgres user must be able to reach .local/pg: a mktemp clone (mode 700) blocks it.
        if subprocess.run(self._as_owner(["test", "-w", str(self.home)])).returncode != 0:
            for parent in self.home.parents:
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    say(f"postgres: chmod o+x {parent}: the `postgres` user must traverse it")
                    parent.chmod(mode | 0o001)

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and port_open(self.port)

    def start(self, timeout: float = 60.0) -> str:
        if self.running():
            return "running"
        if port_open(self.port):
            return "external"
        bindir = self.install()
        self._prepare_dirs()
        if not (self.data / "PG_VERSION").exists():
            run(
                self._as_owner(
                    [
                        str(bindir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "-E",
                        "UTF8",
                        "--no-locale",
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                        "--no-sync",
                    ]
                )
            )
            with open(self.data / "postgresql.conf", "a") as conf:
                # A throwaway development cluster: speed over crash safety, room for every engineer's tests.
                conf.write(
                    "\n# mysetlist local stack\nlisten_addresses = '127.0.0.1'\nmax_connections = 400\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                )
        options = f"-p {self.port} -k {self.sockets}"
        run(
            self._as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "-o",
                    options,
                    "start",
                ]
            )
        )
        self.bootstrap()
        return "started"

    def psql(self, sql: str, db: str = "postgres") -> str:
        bindir = pg_bin_dir() or Path("/usr/bin")
        psql = bindir / "psql" if (bindir / "psql").exists() else Path(shutil.which("psql") or "psql")
        out = run(
            self._as_owner(
                [
                    str(psql),
                    "-h",
                    str(self.sockets),
                    "-p",
                    str(self.port),
                    "-U",
                    "postgres",
                    "-d",
                    db,
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-tAc",
                    sql,
                ]
            ),
            capture=True,
        )
        return out.strip()

    def bootstrap(self) -> None:
        """The application's role and database, as DATABASE_URL names them (idempotent)."""
        user = self.parsed.username or "mysetlist"
        password = urllib.parse.unquote(self.parsed.password or "mysetlist").replace("'", "''")
        dbname = self.parsed.path.lstrip("/") or "mysetlist"
        if self.psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'") != "1":
            self.psql(f"CREATE ROLE \"{user}\" LOGIN CREATEDB PASSWORD '{password}'")
        if self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'") != "1":
            self.psql(f'CREATE DATABASE "{dbname}" OWNER "{user}"')

    def stop(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        bindir = self.install()
        run(self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]))
        return True


# ---------------------------------------------------------------- services, simulator, Prometheus


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port_env: str
    default_port: int

    @property
    def port(self) -> int:
        return int(os.environ.get(self.port_env, self.default_port))

    def exists(self) -> bool:
        return any(REPO.glob(f"*/*/src/{self.module}/__main__.py"))

    def replicas(self) -> list[Replica]:
        """The processes `up` runs (PROGRESS_REPLICAS, SHOWS_INGEST_REPLICAS, CATALOG_INGEST_REPLICAS)."""
        return [
            Replica(self.name, self.module, self.port_env, self.port, i, RUN, LOGS)
            for i in range(count(self.name))
        ]

    def every_process(self) -> list[ServiceProcess]:
        """Its replicas plus any an earlier `up` with more replicas left running: what `down` stops."""
        wanted = self.replicas()
        return [r.process() for r in wanted] + leftovers(self.name, self.module, len(wanted), RUN, LOGS)


# Start order: upstream simulator first, consumers before the gateway that feeds them.
SERVICES = (
    Service("simulator", "mysetlist_simulator", "SIMULATOR_PORT", 8100),
    Service("progress", "mysetlist_progress", "PROGRESS_PORT", 8001),
    Service("shows-ingest", "mysetlist_shows_ingest", "SHOWS_INGEST_PORT", 8002),
    Service("catalog-ingest", "mysetlist_catalog_ingest", "CATALOG_INGEST_PORT", 8003),
    Service("gateway", "mysetlist_gateway", "GATEWAY_PORT", 8000),
)


def upstream_env(sim_url: str) -> dict[str, str]:
    """The base URLs that send every upstream client to the simulator at `sim_url`."""
    return {
        "TICKETMASTER_BASE_URL": f"{sim_url}/discovery/v2",
        "SPOTIFY_API_BASE_URL": f"{sim_url}/v1",
        "SPOTIFY_ACCOUNTS_BASE_URL": f"{sim_url}/api",
        "MUSICBRAINZ_BASE_URL": f"{sim_url}/ws/2",
    }


def admin_token() -> str:
    """The local stack's admin token: generated once into `.local/admin-token` (mode 0600), where the CLI
    finds it too. Never printed: it guards the admin API (replays, dead letters)."""
    path = LOCAL / "admin-token"
    if not path.exists():
        LOCAL.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
    path.chmod(0o600)
    return path.read_text().strip()


def service_env() -> dict[str, str]:
    """The environment every service gets: the caller's, plus URLs that follow overridden ports."""
    simulator, progress = SERVICES[0], SERVICES[1]
    return {
        "ADMIN_TOKEN": admin_token(),
        **upstream_env(f"http://127.0.0.1:{simulator.port}"),
        "PROGRESS_BASE_URL": f"http://127.0.0.1:{progress.port}",
        "SIM_PORT": str(simulator.port),
        # the gateway relays SSE with the client in X-Forwarded-For: progress counts streams per real client
        "TRUSTED_PROXIES": "127.0.0.1",
        **os.environ,  # what the caller set wins
    }


def uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def start_services(replicas: Sequence[Replica], timeout: float = 90.0) -> dict[str, str]:
    """Start every replica not yet serving, all at once (they share nothing at start-up), then wait for
    each one's /healthz. Returns each one's state by name: running, external, started or FAILED: why."""
    states: dict[str, str] = {}
    spawned: list[tuple[Replica, ServiceProcess]] = []
    for replica in replicas:
        process = replica.process()
        if process.pid() is not None:  # its own process, whoever started it and whatever became of them
            states[replica.name] = "running"
        elif port_open(replica.port):
            states[replica.name] = "external"
        else:
            process.spawn_service(replica.env(service_env()))
            spawned.append((replica, process))
    for replica, process in spawned:
        url = f"http://127.0.0.1:{replica.port}/healthz"
        try:
            wait_until(functools.partial(http_ok, url), timeout, replica.name, process.alive)
            states[replica.name] = "started"
        except StackError as err:
            states[replica.name] = f"FAILED: {err}; see {process.logfile}"
    return states


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


def prometheus_port() -> int:
    return int(os.environ.get("PROMETHEUS_PORT", "9090"))


def prometheus_daemon() -> Daemon:
    return Daemon("prometheus", RUN / "prometheus.pid", LOGS / "prometheus.log")


def render_prometheus_config(dest: Path) -> Path:
    """The scrape config with the ports in force and the SLO rules of deploy/observability."""
    dest.mkdir(parents=True, exist_ok=True)
    # Every replica is a target: "127.0.0.1:8002", "127.0.0.1:8102" inside the template's quotes.
    values = {svc.port_env: '", "'.join(f"127.0.0.1:{r.port}" for r in svc.replicas()) for svc in SERVICES}
    values["RULES"] = str(RULES)
    text = Template((STACK / "prometheus" / "prometheus.yml").read_text()).substitute(values)
    conf = dest / "prometheus.yml"
    conf.write_text(text)
    return conf


def start_prometheus() -> str:
    daemon = prometheus_daemon()
    port = prometheus_port()
    if daemon.pid() is not None:
        return "running"
    binary = prometheus_binary()
    if binary is None:
        return "missing"
    if port_open(port):
        return "external"
    conf = render_prometheus_config(LOCAL / "prometheus")
    daemon.spawn(
        [
            binary,
            f"--config.file={conf}",
            f"--storage.tsdb.path={LOCAL / 'prometheus' / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=2d",
        ]
    )
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/-/ready"), 60, "prometheus", daemon.alive)
    return "started"


# ---------------------------------------------------------------- installs


def run(argv: Sequence[str], capture: bool = False, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise StackError(f"`{' '.join(argv)}` failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc.stdout if capture else ""


def apt_install(packages: Sequence[str]) -> None:
    """Install Debian packages without letting their maintainer scripts start system-wide daemons
    (Debian's postgresql and prometheus would otherwise grab 5432 and 9090 behind the stack's back)."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise StackError(f"missing packages {' '.join(packages)}: install them (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    say(f"apt-get install {' '.join(packages)}")
    run(["apt-get", "update", "-qq"], env=env)
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], env=env)
    finally:
        if ours:
            policy.unlink(missing_ok=True)


# ---------------------------------------------------------------- commands


def ensure_infra() -> tuple[Kafka, Postgres]:
    """Kafka and PostgreSQL up (started when needed, never stopped here): what the test fixtures call."""
    kafka, pg = Kafka(), Postgres()
    with stack_lock():
        kafka.start()
        pg.start()
    return kafka, pg


def migrate() -> None:
    proc = subprocess.run(
        [*uv(), "run", "--no-sync", "python", "-m", "mysetlist_common.db.migrate", "upgrade"],
        cwd=REPO,
        env=service_env(),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise StackError(f"migrations failed:\n{proc.stdout}{proc.stderr}")


def line(name: str, where: str, state: str) -> None:
    say(f"  {name:<18} {where:<32} {state}")


def up() -> int:
    started = time.monotonic()
    failed: list[str] = []
    with stack_lock():
        kafka, pg = Kafka(), Postgres()
        line("kafka", kafka.bootstrap, kafka.start())
        line("postgres", f"127.0.0.1:{pg.port}", pg.start())
        migrate()
        line("migrations", "alembic", "at head")
        built = [svc for svc in SERVICES if svc.exists()]
        states = start_services([replica for svc in built for replica in svc.replicas()])
        for svc in SERVICES:
            if svc not in built:
                line(svc.name, "-", f"not built yet (no {svc.module}/__main__.py)")
                continue
            for replica in svc.replicas():
                state = states[replica.name]
                line(replica.name, f"http://127.0.0.1:{replica.port}", state)
                if state.startswith("FAILED"):  # reported; the rest still start; `up` fails at the end
                    failed.append(replica.name)
        state = start_prometheus()
        if state == "missing":
            line("prometheus", "-", "not installed (Debian: apt-get install prometheus)")
        else:
            line("prometheus", f"http://127.0.0.1:{prometheus_port()}", state)
    took = time.monotonic() - started
    if failed:
        say(f"stack up in {took:.1f}s WITHOUT {', '.join(failed)}; logs in {LOGS}")
        return 1
    say(f"stack up in {took:.1f}s; logs in {LOGS}, {LOCAL}/kafka and {LOCAL}/pg; `make down` stops it")
    return 0


def down() -> None:
    with stack_lock():
        for svc in reversed(SERVICES):
            for process in svc.every_process():
                line(process.name, "", "stopped" if process.stop() else "was not running")
        line("prometheus", "", "stopped" if prometheus_daemon().stop() else "was not running")
        line("kafka", "", "stopped" if Kafka().stop() else "was not running")
        line("postgres", "", "stopped" if Postgres().stop() else "was not running")


def status() -> int:
    """Print what runs; exit 1 when something the stack would start is down."""
    down_count = 0

    def show(name: str, ours: bool, healthy: bool, url: str, pid: int | None = None) -> None:
        nonlocal down_count
        if healthy:
            state = "up" if ours else "up (not started by the stack)"
        else:
            state = "DOWN"
            down_count += 1
        line(name, url, f"{state} (pid {pid})" if pid else state)

    kafka, pg = Kafka(), Postgres()
    show("kafka", kafka.running(), port_open(kafka.port), kafka.bootstrap)
    show("postgres", pg.running(), port_open(pg.port), f"127.0.0.1:{pg.port}")
    for svc in SERVICES:
        if not svc.exists():
            line(svc.name, "-", "not built yet")
            continue
        for replica in svc.replicas():
            pid = replica.process().pid()
            ok = http_ok(f"http://127.0.0.1:{replica.port}/healthz")
            show(replica.name, pid is not None, ok, f"http://127.0.0.1:{replica.port}", pid)
        for process in svc.every_process()[len(svc.replicas()) :]:  # left by an `up` with more replicas
            if process.pid() is not None:
                line(process.name, "-", f"up (pid {process.pid()}), beyond the replica count: `make down`")
    if prometheus_binary():
        port = prometheus_port()
        show(
            "prometheus",
            prometheus_daemon().pid() is not None,
            port_open(port),
            f"http://127.0.0.1:{port}",
        )
    return 1 if down_count else 0


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    try:
        if command == "up":
            return up()
        elif command == "down":
            down()
        elif command == "status":
            return status()
        elif command == "infra":
            kafka, pg = ensure_infra()
            say(f"kafka {kafka.bootstrap}  postgres 127.0.0.1:{pg.port}")
        elif command == "install-kafka":
            Kafka().install()
        elif command == "install-postgres":
            Postgres().install()
        elif command == "apt-install":
            apt_install(argv[1:])
        else:
            say("usage: stack.py up|down|status|infra|install-kafka|install-postgres|apt-install PKG...")
            return 2
    except (StackError, ReplicaError) as err:
        say(f"error: {err}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
