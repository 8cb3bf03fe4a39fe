"""The short chaos subset `make test` runs (the whole suite is `make chaos`): on a cluster of its own
(Kafka, PostgreSQL, the simulator, 2 replicas of each ingest service), a catalog-ingest replica killed
mid-phase and PostgreSQL stopped for 3 s. Every import must end completed, with exactly the true rows."""

import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

from chaos.cluster import Cluster, Ports
from chaos.driver import Driver
from chaos.run import SETTINGS, run_trial
from chaos.trials import SHORT, Trial

pytestmark = [pytest.mark.real, pytest.mark.chaos]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    # Not under pytest's basetemp: every pytest session on the machine resets /tmp/pytest-of-<user> to
    # mode 700, and the `postgres` user running this cluster's PostgreSQL must get through it.
    home = Path(tempfile.mkdtemp(prefix="mysetlist-chaos-"))
    own = Cluster(home, ports=Ports.free(), settings=SETTINGS)
    try:
        own.up()
        yield own
    finally:
        own.down()
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.parametrize("trial", SHORT, ids=[t.name for t in SHORT])
def test_every_import_completes_exactly_once_the_fault_is_over(cluster: Cluster, trial: Trial) -> None:
    outcome = run_trial(trial, Driver(cluster, random.Random(11)), cluster)
    assert outcome.ok, outcome
    assert outcome.failed == 0 and outcome.rows_lost == 0 and outcome.rows_duplicated == 0
