"""The local stack's own modules (tools/stack: kafka_broker, postgres_cluster, python_services, processes,
probes, replicas, layout), for benchmarks and the chaos suite: the same code as `make up`. They are
standard library only and not a package, so they are imported from their folder."""

import importlib
import sys
from pathlib import Path
from types import ModuleType

STACK_DIR = Path(__file__).resolve().parents[4] / "tools" / "stack"


def stack_tool(name: str) -> ModuleType:
    """The tools/stack module `name`."""
    if str(STACK_DIR) not in sys.path:
        sys.path.append(str(STACK_DIR))
    return importlib.import_module(name)
