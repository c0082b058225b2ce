"""`python -m benchmarks`: run the drivers, write benchmarks/results/latest.{json,md} and docs/benchmarks.md.

Examples:
    python -m benchmarks --quick                      # everything, short runs
    python -m benchmarks --only in-process --passes 5
    python -m benchmarks --only e2e --endpoints json,di,db-read --apps starlette,blacksheep,framework-toolkit
    python -m benchmarks --profile framework-toolkit:json
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from typing import Any

from benchmarks import e2e, extras, report
from benchmarks.inprocess import InProcessApp, Worker, run_coroutine
from benchmarks.spec import FRAMEWORK_APPS, app_names, endpoint, endpoint_names, is_available, load_app
from benchmarks.stats import median, summarise

__all__ = ["main"]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: 2 passes, ~0.3 s in-process, 2 s wrk")
    parser.add_argument("--only", choices=["in-process", "e2e", "extras"], help="run one driver only")
    parser.add_argument("--apps", help="comma-separated app names (default: all installed)")
    parser.add_argument("--endpoints", help="comma-separated endpoint names (default: all)")
    parser.add_argument("--passes", type=int, help="interleaved passes (default 5, quick 2)")
    parser.add_argument("--seconds", type=float, help="in-process seconds per app and endpoint (default 1, quick 0.3)")
    parser.add_argument("--e2e-seconds", type=float, help="wrk duration per endpoint (default 5, quick 2)")
    parser.add_argument("--connections", type=int, default=1000, help="idle WebSockets opened (default 1000)")
    parser.add_argument("--profile", metavar="APP:ENDPOINT", help="cProfile one app's endpoint in-process and exit")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the results section of the docs page")
    return parser.parse_args(argv)


def _rotated(items: list[str], index: int) -> list[str]:
    shift = index % len(items) if items else 0
    return items[shift:] + items[:shift]


def _mismatches(checks: dict[str, dict[str, Any]], endpoints: list[str]) -> list[str]:
    """Responses that are not byte-identical to the raw ASGI app's (status, content type and body)."""
    if "raw" not in checks:
        return []
    found = []
    for app, answers in checks.items():
        for name in endpoints:
            if answers.get(name) != checks["raw"].get(name):
                found.append(f"{app} {endpoint(name).label}: {answers.get(name)} != raw {checks['raw'].get(name)}")
    return found


def run_in_process(apps: list[str], endpoints: list[str], passes: int, seconds: float) -> dict[str, Any]:
    workers = {app: Worker(app) for app in apps}
    checks: dict[str, dict[str, Any]] = {}
    results: list[dict[str, dict[str, Any]]] = []
    rss: dict[str, float] = {}
    try:
        for app, worker in list(workers.items()):
            answer = worker.ready()
            if not answer.get("ok"):
                print(f"in-process: {app} did not start: {answer.get('error')}", file=sys.stderr)
                worker.stop()
                del workers[app]
                continue
            checks[app] = {}
            for name in endpoints:
                reply = worker.call({"cmd": "check", "endpoint": name}, 60)
                checks[app][name] = [reply.get("status"), reply.get("content_type"), reply.get("body")]
        running = list(workers)
        for index in range(passes):
            one: dict[str, dict[str, Any]] = {name: {} for name in endpoints}
            for name in endpoints:
                for app in _rotated(running, index):
                    reply = workers[app].call({"cmd": "run", "endpoint": name, "seconds": seconds}, seconds * 4 + 60)
                    if reply.get("ok"):
                        one[name][app] = {k: reply[k] for k in ("requests", "wall", "cpu", "errors")}
                    else:
                        print(f"in-process: {app} {name}: {reply.get('error')}", file=sys.stderr)
            results.append(one)
            print(f"in-process: pass {index + 1}/{passes} done", file=sys.stderr)
    finally:
        for app, worker in workers.items():
            maxrss = worker.stop()
            if maxrss is not None:
                rss[app] = maxrss / 1024
    return {
        "date": report.machine()["date"],
        "settings": {"passes": passes, "seconds": seconds},
        "apps": list(checks),
        "endpoints": endpoints,
        "passes": results,
        "summary": summarise(results, list(checks), endpoints),
        "rss_mb": rss,
        "mismatches": _mismatches(checks, endpoints),
    }


def run_e2e(apps: list[str], endpoints: list[str], passes: int, seconds: float) -> dict[str, Any]:
    checks: dict[str, dict[str, Any]] = {}
    results: list[dict[str, dict[str, Any]]] = []
    rss: dict[str, list[float]] = {}
    for index in range(passes):
        one: dict[str, dict[str, Any]] = {name: {} for name in endpoints}
        for app in _rotated(apps, index):
            try:
                with e2e.server(app) as running:
                    if app not in checks:
                        checks[app] = {n: list(_decoded(running.request(endpoint(n)))) for n in endpoints}
                    e2e.run_wrk(running, endpoint("plaintext"), 1)  # warm-up, not recorded
                    for name in endpoints:
                        one[name][app] = e2e.run_wrk(running, endpoint(name), seconds)
                    rss.setdefault(app, []).append(running.memory_kb("VmHWM") / 1024)
            except (RuntimeError, TimeoutError, OSError) as exc:
                print(f"e2e: {app}: {exc}", file=sys.stderr)
        results.append(one)
        print(f"e2e: pass {index + 1}/{passes} done", file=sys.stderr)
    return {
        "date": report.machine()["date"],
        "settings": {"passes": passes, "seconds": seconds},
        "apps": apps,
        "endpoints": endpoints,
        "passes": results,
        "summary": summarise(results, apps, endpoints),
        "rss_mb": {app: median(values) for app, values in rss.items()},
        "mismatches": _mismatches(checks, endpoints),
    }


def _decoded(answer: tuple[int, str | None, bytes]) -> tuple[int, str | None, str]:
    return answer[0], answer[1], answer[2].decode("latin-1")


def run_extras(apps: list[str], quick: bool, connections: int) -> dict[str, Any]:
    repeats = 3 if quick else 9
    pairs = [("framework.applications", "starlette.applications")]
    if is_available("fastapi"):
        pairs.append(("benchmarks.apps.framework_controller", "benchmarks.apps.fastapi_app"))
    if not is_available("starlette"):
        pairs = []
        print("extras: starlette/fastapi are not installed here; import comparison skipped", file=sys.stderr)
    ws_apps = [app for app in ("framework-toolkit", "starlette") if app in apps and is_available(app)]
    return {
        "date": report.machine()["date"],
        "imports": extras.import_times(pairs, repeats),
        "lazy": extras.lazy_imports(list(report.LAZY_RULES)),
        "websockets": extras.websocket_memory(ws_apps, connections),
    }


def profile(target: str, seconds: float) -> str:
    """cProfile one endpoint of one app in this process; returns the top functions by own time."""
    app_name, _, endpoint_name = target.partition(":")
    ep = endpoint(endpoint_name)

    async def measure() -> cProfile.Profile:
        runner = InProcessApp(load_app(app_name))
        await runner.start()
        try:
            await runner.bench(ep, 0.3)
            profiler = cProfile.Profile()
            profiler.enable()
            await runner.bench(ep, seconds)
            profiler.disable()
            return profiler
        finally:
            await runner.stop()

    profiler = run_coroutine(measure())
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(30)
    text = out.getvalue()
    path = report.RESULTS / f"profile-{app_name}-{endpoint_name}.txt"
    path.write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.profile:
        print(profile(args.profile, args.seconds or 2.0))
        return 0
    wanted = app_names(args.apps)
    apps = [app for app in wanted if is_available(app)]
    skipped = sorted(set(wanted) - set(apps))
    if skipped:
        print(f"skipping {', '.join(skipped)}: not installed in {sys.prefix}", file=sys.stderr)
    endpoints = endpoint_names(args.endpoints)
    passes = args.passes or (2 if args.quick else 5)
    results = report.load_previous()
    results["meta"] = report.machine()
    if args.only in (None, "in-process"):
        results["in_process"] = run_in_process(apps, endpoints, passes, args.seconds or (0.3 if args.quick else 1.0))
    if args.only in (None, "e2e"):
        results["e2e"] = run_e2e(apps, endpoints, passes, args.e2e_seconds or (2.0 if args.quick else 5.0))
    if args.only in (None, "extras"):
        results["extras"] = run_extras(apps, args.quick, args.connections)
    results["mismatches"] = [
        *results.get("in_process", {}).get("mismatches", []),
        *results.get("e2e", {}).get("mismatches", []),
    ]
    print(report.write(results, update_docs=not args.no_docs))
    missing = [
        app for app in FRAMEWORK_APPS if app in apps and app not in results.get("in_process", {}).get("apps", [app])
    ]
    return 1 if results["mismatches"] or missing else 0


if __name__ == "__main__":
    sys.exit(main())
