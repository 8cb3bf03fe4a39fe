"""The stack's Apache Kafka: one KRaft node (broker and controller in one JVM) run from the jars Maven
resolves through kafka/pom.xml, configured from kafka/server.properties, its data under .local/kafka."""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from layout import LOCAL, STACK
from probes import port_open, wait_until
from processes import Daemon
from shell import StackError, run, say

DEFAULT_KAFKA = "127.0.0.1:59092"
KAFKA_JARS = ("kafka_2.13-*.jar", "kafka-tools-[0-9]*.jar")  # the broker, the operators' tools


def bootstrap_servers() -> str:
    """KAFKA_BOOTSTRAP_SERVERS, else the stack's broker."""
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_KAFKA)


def kafka_port_from_env() -> int:
    first = bootstrap_servers().split(",")[0]
    return int(first.rsplit(":", 1)[1])


def require_java() -> None:
    if shutil.which("java") is None:
        raise StackError(
            "Java is missing: Kafka needs Java 17 or newer. Install it (Debian: apt-get install"
            " openjdk-17-jre-headless; macOS: brew install openjdk@17) or use `docker compose up`."
        )


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
