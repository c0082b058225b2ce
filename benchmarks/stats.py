"""Medians and per-pass ratios: the numbers the report and the targets are made of.

A ratio is always computed inside one pass (the apps of a pass ran interleaved, minutes apart at most)
and then the median over passes is taken, so that a machine getting busier between passes cancels out.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.spec import PEERS

__all__ = ["best_peer_ratio", "median", "pair_ratio", "summarise"]

Pass = dict[str, dict[str, dict[str, Any]]]  # endpoint -> app -> measurement
Metric = Callable[[dict[str, Any]], float | None]


def median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def rps(measurement: dict[str, Any]) -> float | None:
    value = measurement.get("rps")
    if value is None and measurement.get("wall"):
        value = measurement["requests"] / measurement["wall"]
    return float(value) if value else None


def cpu_us(measurement: dict[str, Any]) -> float | None:
    if "cpu" in measurement and measurement.get("requests"):
        return float(1e6 * measurement["cpu"] / measurement["requests"])
    value = measurement.get("server_cpu_us")
    return float(value) if value else None


def _throughput(metric: str) -> Metric:
    """Higher is better for both: requests/s by wall clock, or requests per CPU-second."""
    if metric == "rps":
        return rps

    def per_cpu(measurement: dict[str, Any]) -> float | None:
        value = cpu_us(measurement)
        return 1e6 / value if value else None

    return per_cpu


def pair_ratio(passes: Sequence[Pass], endpoint: str, app: str, other: str, metric: str = "rps") -> float | None:
    """Median over passes of app's throughput / other's throughput on one endpoint."""
    measure = _throughput(metric)
    ratios = []
    for one in passes:
        row = one.get(endpoint, {})
        if app in row and other in row:
            mine, theirs = measure(row[app]), measure(row[other])
            if mine and theirs:
                ratios.append(mine / theirs)
    return median(ratios)


def best_peer_ratio(passes: Sequence[Pass], endpoint: str, app: str, metric: str = "rps") -> float | None:
    """Median over passes of app's throughput / the best peer's throughput in that pass."""
    measure = _throughput(metric)
    ratios = []
    for one in passes:
        row = one.get(endpoint, {})
        peers = [value for peer in PEERS if peer in row and (value := measure(row[peer]))]
        mine = measure(row[app]) if app in row else None
        if peers and mine:
            ratios.append(mine / max(peers))
    return median(ratios)


def summarise(passes: Sequence[Pass], apps: Sequence[str], endpoints: Sequence[str]) -> dict[str, Any]:
    """Per endpoint and app: median req/s, CPU µs per request, p50/p99 when present, and the three ratios."""
    summary: dict[str, Any] = {}
    for endpoint in endpoints:
        row: dict[str, Any] = {}
        for app in apps:
            samples = [one[endpoint][app] for one in passes if app in one.get(endpoint, {})]
            if not samples:
                continue
            row[app] = {
                "rps": median([rps(s) for s in samples]),
                "cpu_us": median([cpu_us(s) for s in samples]),
                "p50_ms": median([s.get("p50_ms") for s in samples]),
                "p99_ms": median([s.get("p99_ms") for s in samples]),
                "errors": sum(int(s.get("errors") or 0) for s in samples),
                "passes": len(samples),
                "vs_starlette": pair_ratio(passes, endpoint, app, "starlette"),
                "vs_starlette_cpu": pair_ratio(passes, endpoint, app, "starlette", "cpu"),
                "vs_best_peer": best_peer_ratio(passes, endpoint, app),
                "vs_best_peer_cpu": best_peer_ratio(passes, endpoint, app, "cpu"),
                "vs_raw": pair_ratio(passes, endpoint, app, "raw"),
            }
        summary[endpoint] = row
    return summary
