"""Every series the rules and the dashboard query is one the services really expose, with labels, bucket
edges and label values they really write: a typo or a bucket that does not exist would give an empty panel
and an alert that can never fire, and nothing else would notice."""

import re
import typing
from dataclasses import dataclass
from typing import Any

import pytest
from faststream.prometheus.container import MetricsContainer
from faststream.prometheus.types import ProcessingStatus, PublishingStatus
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.utils import floatToGoString

from mysetlist_common import metrics
from mysetlist_common.messaging.events import ImportFinished, Phase

# Labels Prometheus attaches to every scraped series, whatever the service exposes.
TARGET_LABELS = {"job", "instance", "namespace", "pod", "container"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}


@dataclass(frozen=True)
class Family:
    name: str
    labels: frozenset[str]
    buckets: frozenset[str]  # le values as written on /metrics; empty unless a histogram


def families() -> dict[str, Family]:
    """Exposed sample name -> its metric family, for ours and FastStream's Kafka middleware."""
    collectors = [m for m in vars(metrics).values() if isinstance(m, MetricWrapperBase)]
    container = MetricsContainer(CollectorRegistry(), custom_label_names=[])
    collectors += [
        getattr(container, slot) for slot in MetricsContainer.__slots__ if not slot.startswith("_")
    ]
    samples: dict[str, Family] = {}
    for collector in collectors:
        # prometheus_client keeps names, label names and bucket edges in private attributes only.
        name, labels = collector._name, frozenset(collector._labelnames)
        if isinstance(collector, Histogram):
            edges = frozenset(floatToGoString(b) for b in collector._upper_bounds)
            samples[f"{name}_bucket"] = Family(name, labels | {"le"}, edges)
            for suffix in ("_count", "_sum"):
                samples[name + suffix] = Family(name, labels, frozenset())
        elif isinstance(collector, Counter):
            samples[f"{name}_total"] = Family(name, labels, frozenset())
        else:
            samples[name] = Family(name, labels, frozenset())
    return samples


FAMILIES = families()
# Label values the code writes, for labels whose values are a closed set.
LABEL_VALUES: dict[tuple[str, str], set[str]] = {
    ("mysetlist_phase_duration_seconds", "phase"): {p.value for p in Phase},
    ("mysetlist_phase_duration_seconds", "outcome"): {"completed", "failed"},  # PhaseReporter
    ("mysetlist_imports_finished", "outcome"): set(
        typing.get_args(ImportFinished.model_fields["outcome"].annotation)
    ),
    ("faststream_received_processed_messages", "status"): {s.value for s in ProcessingStatus},
    ("faststream_published_messages", "status"): {s.value for s in PublishingStatus},
}


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)


def selectors(expr: str) -> list[Selector]:
    """The series selectors of a PromQL expression: enough of a parser for names and label matchers."""
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # range and subquery durations
    # Grouping modifiers name labels of the result, not series.
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr)
    found = []

    def braced(match: re.Match[str]) -> str:
        matchers = re.findall(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"', match[2])
        found.append(Selector(match[1], tuple(matchers)))
        return " "

    expr = re.sub(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", braced, expr)
    assert "{" not in expr, f"a selector without a metric name: {expr}"
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)  # string arguments (label_replace)
    for match in re.finditer(r"(?<![\w:.$])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()", expr):
        if match[1] not in KEYWORDS:
            found.append(Selector(match[1], ()))
    return found


def test_the_scanner_reads_names_and_matchers() -> None:
    expr = (
        'sum by (le, app_name) (rate(a_bucket{le="0.2", x=~"y\\"z"}[5m])) / on (slo) group_left () b:c '
        'and label_replace(d offset 10m, "handler", "$1", "destination", "(.*)") > bool 1e3'
    )
    assert selectors(expr) == [
        Selector("a_bucket", (("le", "=", "0.2"), ("x", "=~", 'y\\"z'))),
        Selector("b:c", ()),
        Selector("d", ()),
    ]


def check(expr: str, recorded: set[str]) -> list[str]:
    problems = []
    for sel in selectors(expr):
        if sel.metric in recorded:
            continue
        family = FAMILIES.get(sel.metric)
        if family is None:
            problems.append(f"{sel.metric}: no such metric")
            continue
        for label, op, value in sel.matchers:
            if label not in family.labels | TARGET_LABELS:
                problems.append(f"{sel.metric}: no label {label!r}")
            elif label == "le" and value not in family.buckets:
                problems.append(f"{sel.metric}: no bucket le={value!r} (edges: {sorted(family.buckets)})")
            elif op == "=" and value not in LABEL_VALUES.get((family.name, label), {value}):
                problems.append(f"{sel.metric}: {label}={value!r} is never written")
    return problems


@pytest.fixture(scope="module")
def recorded(rules: list[dict[str, Any]]) -> set[str]:
    return {rule["record"] for rule in rules if "record" in rule}


def test_rules_query_only_exposed_series(rules: list[dict[str, Any]], recorded: set[str]) -> None:
    problems = [f"{r.get('record') or r['alert']}: {p}" for r in rules for p in check(r["expr"], recorded)]
    assert problems == []
    used = {sel.metric for rule in rules for sel in selectors(rule["expr"])}
    assert used & set(FAMILIES), "the scanner found no metric at all"


def test_dashboard_queries_only_exposed_or_recorded_series(
    dashboard_exprs: list[str], recorded: set[str]
) -> None:
    problems = [f"{expr}: {p}" for expr in dashboard_exprs for p in check(expr, recorded)]
    assert problems == []


def test_every_slo_metric_is_on_the_dashboard_and_in_the_rules(
    rules: list[dict[str, Any]], dashboard_exprs: list[str], recorded: set[str]
) -> None:
    """Each of our metrics is watched: queried by a rule or a panel (directly or through a recording)."""
    queried = {sel.metric for expr in [r["expr"] for r in rules] + dashboard_exprs for sel in selectors(expr)}
    ours = {f.name for f in FAMILIES.values() if f.name.startswith("mysetlist_")}
    watched = {FAMILIES[m].name for m in queried if m in FAMILIES}
    assert ours - watched == set()
    panel_recordings = {sel.metric for expr in dashboard_exprs for sel in selectors(expr)} & recorded
    assert panel_recordings, "the dashboard should read the recorded SLO series"


@pytest.mark.parametrize(
    ("expr", "problem"),
    [
        ('rate(mysetlist_phase_duration_seconds_bucket{le="30"}[5m])', "no bucket le='30'"),
        ('mysetlist_phase_duration_seconds_count{phase="setlists"}', "phase='setlists' is never written"),
        ("mysetlist_kickoff_latency_seconds_total", "no such metric"),
        ('mysetlist_dead_letters_total{upstream="spotify"}', "no label 'upstream'"),
    ],
)
def test_a_wrong_query_is_caught(expr: str, problem: str) -> None:
    assert any(problem in p for p in check(expr, set())), check(expr, set())
