"""The report: machine and versions, result tables, the targets of issue 8, written as JSON and markdown.

`latest.json` keeps one section per driver; a run of one driver (`--only`) replaces that section and keeps
the others, so the markdown always shows the latest numbers of each kind with their own dates.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.spec import ENDPOINTS, FRAMEWORK_APPS, PEERS, endpoint
from benchmarks.stats import pair_ratio

__all__ = ["machine", "targets", "to_markdown", "write"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
_DISTRIBUTIONS = (
    "framework",
    "starlette",
    "fastapi",
    "litestar",
    "blacksheep",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "aiosqlite",
    "pydantic",
    "dependency-injector",
    "msgspec",
)
# What importing each module must not load: the toolkit none of the app layer's libraries, the app layer
# (controllers, container glue) not SQLAlchemy or Strawberry until the app uses a database or GraphQL.
LAZY_RULES = {
    "framework": ("sqlalchemy", "pydantic", "strawberry", "dependency_injector"),
    "framework.applications": ("sqlalchemy", "pydantic", "strawberry", "dependency_injector"),
    "framework.controllers": ("sqlalchemy", "strawberry"),
    "framework.bootstrap": ("sqlalchemy", "strawberry"),
}


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    versions = {}
    for name in _DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "commit": _git_commit(),
        "versions": versions,
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, timeout=10, check=False
        )
    except OSError:
        return None
    return done.stdout.strip() or None


# ---- targets ---------------------------------------------------------------------------------------------


def _target(
    name: str,
    values: Mapping[str, float | None],
    threshold: float,
    higher: bool = True,
    alt: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    known = {k: v for k, v in values.items() if v is not None}
    met = None if not known else all((v >= threshold) if higher else (v <= threshold) for v in known.values())
    return {"target": name, "values": dict(values), "alt": dict(alt or {}), "threshold": threshold, "met": met}


def _ratios(passes: Any, endpoints: tuple[str, ...], app: str, other: str, metric: str) -> dict[str, float | None]:
    return {e: pair_ratio(passes, e, app, other, metric) for e in endpoints}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The bar of issue 8, from medians of per-pass ratios.

    In-process CPU-bound endpoints are judged on CPU time per request (the loop is single-threaded and
    CPU-bound, so its throughput on a free core is 1/CPU time, while wall-clock time on a shared machine
    also counts waiting for a core); the other measure is shown in brackets. Database endpoints wait on
    aiosqlite's thread, so they and everything end-to-end are judged on requests/s.
    """
    found: list[dict[str, Any]] = []
    inproc = results.get("in_process")
    if inproc:
        p = inproc["passes"]
        fast = ("plaintext", "json", "params", "echo", "mw")
        tk, ctl = "framework-toolkit", "framework-controller"
        found.append(
            _target(
                "In-process, toolkit style >= 1.5x Starlette",
                _ratios(p, fast, tk, "starlette", "cpu"),
                1.5,
                alt=_ratios(p, fast, tk, "starlette", "rps"),
            )
        )
        for peer, threshold in (("blacksheep", 1.5), ("fastapi", 5.0)):
            found.append(
                _target(
                    f"In-process, controller `/di` >= {threshold}x {peer}",
                    _ratios(p, ("di",), ctl, peer, "cpu"),
                    threshold,
                    alt=_ratios(p, ("di",), ctl, peer, "rps"),
                )
            )
        for app in (ctl, tk):
            found.append(
                _target(
                    f"In-process, `/db/{{id}}` read >= 1.5x Starlette ({app})",
                    _ratios(p, ("db-read",), app, "starlette", "rps"),
                    1.5,
                    alt=_ratios(p, ("db-read",), app, "starlette", "cpu"),
                )
            )
    e2e = results.get("e2e")
    if e2e:
        p = e2e["passes"]
        if any("db-read" in one for one in p):
            found.append(
                _target(
                    "End-to-end, `/db/{id}` read >= 1.5x Starlette (framework-controller)",
                    _ratios(p, ("db-read",), "framework-controller", "starlette", "rps"),
                    1.5,
                    alt=_ratios(p, ("db-read",), "framework-controller", "starlette", "cpu"),
                )
            )
        for app in FRAMEWORK_APPS:
            values = {e: row[app]["vs_best_peer"] for e, row in e2e["summary"].items() if app in row}
            alt = {e: row[app]["vs_best_peer_cpu"] for e, row in e2e["summary"].items() if app in row}
            found.append(_target(f"End-to-end, {app} not behind the best peer", values, 1.0, alt=alt))
    extras = results.get("extras")
    if extras and extras.get("imports"):
        toolkit_import = next((r for r in extras["imports"] if r["module"] == "framework.applications"), None)
        if toolkit_import:
            found.append(
                _target(
                    "Import of the toolkit no slower than Starlette's (time ratio, lower is better)",
                    {"framework.applications": toolkit_import["ratio"]},
                    1.0,
                    higher=False,
                )
            )
    if extras and extras.get("lazy"):
        loaded = {
            module: float(len(set(extras["lazy"].get(module, ())) & set(forbidden)))
            for module, forbidden in LAZY_RULES.items()
            if module in extras["lazy"]
        }
        found.append(
            _target("Lazy loading: forbidden heavy imports (count, see LAZY_RULES)", loaded, 0.0, higher=False)
        )
    return found


# ---- markdown --------------------------------------------------------------------------------------------


def _fmt(value: float | None, spec: str = ".2f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def _apps_in(summary: dict[str, Any]) -> list[str]:
    order = ["raw", *PEERS, *FRAMEWORK_APPS]
    present = {app for row in summary.values() for app in row}
    return [app for app in order if app in present]


def _in_process_md(section: dict[str, Any]) -> list[str]:
    summary = section["summary"]
    apps = _apps_in(summary)
    lines = [
        f"### In-process ({section['date']}, {section['settings']['passes']} passes x "
        f"{section['settings']['seconds']} s per app and endpoint)",
        "",
        "CPU microseconds per request (median; lower is better):",
        "",
        "| endpoint | " + " | ".join(apps) + " |",
        "|---|" + "---:|" * len(apps),
    ]
    for name, row in summary.items():
        cells = [_fmt(row.get(app, {}).get("cpu_us"), ".1f") for app in apps]
        lines.append(f"| {endpoint(name).label} | " + " | ".join(cells) + " |")
    lines += _ratio_table(
        summary, "Throughput ratios (median of per-pass requests/s ratios; CPU-time ratio in brackets):"
    )
    if section.get("rss_mb"):
        lines += [
            "",
            "Peak RSS of each worker process (MiB): "
            + ", ".join(f"{app} {_fmt(mb, '.1f')}" for app, mb in section["rss_mb"].items()),
        ]
    return lines


def _ratio_table(summary: dict[str, Any], title: str) -> list[str]:
    lines = [
        "",
        title,
        "",
        "| endpoint | app | vs Starlette | vs best peer | vs raw ASGI |",
        "|---|---|---:|---:|---:|",
    ]
    for name, row in summary.items():
        for app in FRAMEWORK_APPS:
            if app not in row:
                continue
            r = row[app]
            lines.append(
                f"| {endpoint(name).label} | {app} | {_fmt(r['vs_starlette'], '.2f', 'x')} "
                f"({_fmt(r['vs_starlette_cpu'], '.2f', 'x')}) | {_fmt(r['vs_best_peer'], '.2f', 'x')} "
                f"({_fmt(r['vs_best_peer_cpu'], '.2f', 'x')}) | {_fmt(r['vs_raw'], '.2f', 'x')} |"
            )
    return lines


def _e2e_md(section: dict[str, Any]) -> list[str]:
    summary = section["summary"]
    apps = _apps_in(summary)
    settings = section["settings"]
    lines = [
        f"### End-to-end under uvicorn ({section['date']}, {settings['passes']} passes, wrk -t1 -c32 "
        f"-d{settings['seconds']}s)",
        "",
        "Requests/s (median), then p50 / p99 latency in ms and server CPU µs per request:",
        "",
        "| endpoint | " + " | ".join(apps) + " |",
        "|---|" + "---:|" * len(apps),
    ]
    for name, row in summary.items():
        cells = []
        for app in apps:
            r = row.get(app)
            cells.append(
                "-"
                if r is None
                else f"{_fmt(r['rps'], '.0f')}<br>{_fmt(r['p50_ms'])} / {_fmt(r['p99_ms'])}"
                f"<br>{_fmt(r['cpu_us'], '.0f')} µs" + (f"<br>**{r['errors']} errors**" if r["errors"] else "")
            )
        lines.append(f"| {endpoint(name).label} | " + " | ".join(cells) + " |")
    lines += _ratio_table(summary, "Ratios (median of per-pass requests/s ratios; server-CPU ratio in brackets):")
    if section.get("rss_mb"):
        lines += [
            "",
            "Peak RSS of the server process (MiB): "
            + ", ".join(f"{app} {_fmt(mb, '.1f')}" for app, mb in section["rss_mb"].items()),
        ]
    return lines


def _extras_md(section: dict[str, Any]) -> list[str]:
    lines = [f"### Imports and idle WebSockets ({section['date']})", ""]
    if section.get("imports"):
        lines += ["| import | ms | peer | peer ms | ratio |", "|---|---:|---|---:|---:|"]
        for r in section["imports"]:
            lines.append(
                f"| `{r['module']}` | {r['ms']:.0f} | `{r['peer']}` | {r['peer_ms']:.0f} | {r['ratio']:.2f}x |"
            )
        lines.append("")
    if section.get("lazy"):
        lines += ["Heavy libraries loaded by an import:", ""]
        lines += [f"- `{m}`: {', '.join(loaded) or 'none'}" for m, loaded in section["lazy"].items()]
        lines.append("")
    if section.get("websockets"):
        lines += [
            "| app | idle WebSockets | RSS before (MiB) | RSS after (MiB) | KiB per connection |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in section["websockets"]:
            lines.append(
                f"| {r['app']} | {r['connections']} | {r['rss_before_mb']:.1f} | {r['rss_after_mb']:.1f} | "
                f"{r['kb_per_connection']:.1f} |"
            )
    return lines


def to_markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    lines = [
        f"Generated {meta['date']} on {meta['nproc']} x {meta['cpu']}, Python {meta['python']}, "
        f"load average {meta['load_average']} at the start (a shared machine: compare ratios, not absolutes); "
        f"commit {meta.get('commit') or '?'}.",
        "",
        f"Versions: {versions}.",
        "",
        "### Targets (issue 8)",
        "",
        "Ratios are medians of per-pass ratios. In-process CPU-bound endpoints are judged on CPU time per request "
        "(requests/s ratio in brackets); database endpoints and end-to-end runs on requests/s (CPU ratio in "
        "brackets).",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for t in results.get("targets", []):
        alt = t.get("alt") or {}
        values = ", ".join(
            f"{k} {_fmt(v, '.2f')}" + (f" ({_fmt(alt[k], '.2f')})" if alt.get(k) is not None else "")
            for k, v in t["values"].items()
        )
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        lines.append(f"| {t['target']} | {values} | {met} |")
    for key, render in (("in_process", _in_process_md), ("e2e", _e2e_md), ("extras", _extras_md)):
        if results.get(key):
            lines += ["", *render(results[key])]
    if results.get("mismatches"):
        lines += ["", "Responses that differ from the raw ASGI app:", ""]
        lines += [f"- {m}" for m in results["mismatches"]]
    return "\n".join(lines) + "\n"


def load_previous() -> dict[str, Any]:
    try:
        previous: dict[str, Any] = json.loads((RESULTS / "latest.json").read_text())
    except (OSError, ValueError):
        return {}
    return previous


def write(results: dict[str, Any], update_docs: bool = True) -> str:
    """Write latest.json and latest.md, and the generated section of docs/benchmarks.md."""
    results["targets"] = targets(results)
    markdown = to_markdown(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    (RESULTS / "latest.md").write_text("# Benchmark results\n\n" + markdown)
    if update_docs and DOCS.exists():
        text = DOCS.read_text()
        if START in text and END in text:
            head, rest = text.split(START, 1)
            tail = rest.split(END, 1)[1]
            DOCS.write_text(f"{head}{START}\n{markdown}{END}{tail}")
    return markdown


ALL_ENDPOINTS = [e.name for e in ENDPOINTS]
