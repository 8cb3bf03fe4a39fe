"""SLO thresholds must be bucket edges, or the SLO cannot be read off the histograms."""

from mysetlist_common import metrics


def edges(histogram: object) -> list[float]:
    return list(histogram._upper_bounds)  # type: ignore[attr-defined]


def test_kickoff_buckets_are_finer_than_and_at_200ms() -> None:
    assert 0.2 in edges(metrics.KICKOFF_LATENCY)
    assert sum(edge < 0.2 for edge in edges(metrics.KICKOFF_LATENCY)) >= 4


def test_phase_buckets_sit_at_30_and_45_seconds_and_are_fine_below_5() -> None:
    phase = edges(metrics.PHASE_DURATION)
    assert 30 in phase and 45 in phase
    assert sum(edge <= 5 for edge in phase) >= 5


def test_sse_delivery_has_an_edge_at_its_50ms_goal() -> None:
    assert 0.05 in edges(metrics.SSE_DELIVERY_LATENCY)
