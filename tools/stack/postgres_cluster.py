"""The stack's PostgreSQL: a throwaway cluster under .local/pg from Debian's server binaries (installed
with apt-get when missing), run by the `postgres` user when we are root, with the application's role and
database as DATABASE_URL names them."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from layout import LOCAL
from probes import port_open
from shell import StackError, apt_install, run, say

DEFAULT_DATABASE_URL = "postgresql+asyncpg://mysetlist:mysetlist@127.0.0.1:55432/mysetlist"


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
