"""The local stack's building blocks on their own ports and folders: a background process group is
stopped with every child, and a PostgreSQL cluster starts, keeps its data across a restart, and stops."""

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from postgres_cluster import Postgres, pg_bin_dir  # on sys.path via the root conftest
from probes import free_port, port_open, wait_until
from processes import Daemon, group_members

STACK_PY = Path(__file__).resolve().parents[2] / "tools" / "stack" / "stack.py"


def test_stop_takes_the_whole_process_group(tmp_path: Path) -> None:
    daemon = Daemon("sleeper", tmp_path / "sleeper.pid", tmp_path / "sleeper.log")
    # a parent with a child of its own: stop() must end both
    pid = daemon.spawn(
        [sys.executable, "-c", "import subprocess,time; subprocess.Popen(['sleep','600']); time.sleep(600)"]
    )
    wait_until(lambda: len(group_members(pid)) == 2, 10, "sleepers")
    assert daemon.pid() == pid
    assert daemon.stop(grace=5)
    assert group_members(pid) == []
    assert not daemon.pidfile.exists()
    assert daemon.stop() is False  # stopping again is harmless


@pytest.fixture
def pg_home() -> Iterator[Path]:
    """Outside pytest's temporary tree: every new pytest session (another engineer's, say) resets
    /tmp/pytest-of-<user> to 0700, which shuts out the `postgres` user that runs the cluster as root."""
    home = Path(tempfile.mkdtemp(prefix="mysetlist-pg-test-"))
    yield home
    shutil.rmtree(home, ignore_errors=True)


@pytest.mark.real
async def test_postgres_cluster_survives_restart(pg_home: Path) -> None:
    if pg_bin_dir() is None:  # PG_BIN_DIR, else the installed server
        pytest.skip("no PostgreSQL server binaries")
    port = free_port()
    url = f"postgresql+asyncpg://app:s3cret@127.0.0.1:{port}/appdb"
    pg = Postgres(home=pg_home / "pg", url=url)
    plain = url.replace("+asyncpg", "")
    try:
        assert pg.start() == "started"
        assert pg.start() == "running"  # starting twice is harmless
        conn = await asyncpg.connect(plain)
        await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        await conn.close()

        assert pg.stop()
        assert not port_open(port)
        assert pg.start() == "started"
        conn = await asyncpg.connect(plain)
        assert await conn.fetchval("SELECT n FROM kept") == 42
        await conn.close()
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(plain.replace("s3cret", "wrong"))
    finally:
        pg.stop()
    assert not port_open(port)


def test_missing_java_is_a_clear_error(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "MYSETLIST_LOCAL_DIR": str(tmp_path / "local"), "HOME": str(tmp_path)}
    script = STACK_PY
    out = subprocess.run([sys.executable, script, "install-kafka"], env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert "Java is missing" in out.stdout and "docker compose" in out.stdout
