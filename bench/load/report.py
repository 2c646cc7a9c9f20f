"""The load test's verdict and report: the page types a person waits for, the p95 and error-rate targets, the
summary lines, the JSON, and the capacity over several user counts."""

import json
from pathlib import Path

# Page types a person waits for (the targets apply to these); the rest are background work or setup.
WAITED_FOR = (
    "home",
    "daily list",
    "portrait",
    "portrait (with portrait panels)",
    "portrait section",
    "visit form",
    "visit record",
    "retailer list",
    "segments",
    "segments (with segment counts)",
    "cockpit",
    "daily list (supervisor)",
    "coverage",
    "api retailers page",
)
P95_TARGET_MS = 500
ERROR_RATE_TARGET = 0.001


def summary_lines(result: dict) -> list[str]:
    cpu = result["cpu"]
    lines = [
        f"load · {result['users']} users · {result['seconds']} s (logins ramped over {result['ramp_seconds']} s) · "
        f"gunicorn {result['gunicorn']['workers']}×{result['gunicorn']['threads']} · {result['requests']:,} "
        f"requests ({result['per_second']}/s), {result['failures']} failed (error rate {result['error_rate']:.3%}); "
        f"server tracebacks {result['server_tracebacks']}",
        f"  machine: {cpu['cores']} cores {cpu['busy_share']:.0%} busy; load average at start "
        f"{'/'.join(str(x) for x in cpu['load_average_start'])}, at end {'/'.join(str(x) for x in cpu['load_average_end'])}; "
        f"CPU s: " + ", ".join(f"{k} {v}" for k, v in cpu["cpu_seconds"].items()),
        f"  the load used {cpu['load_cores']} cores, serving the users {cpu['serving_cores']} (gunicorn + PostgreSQL"
        f" of this database) = {cpu['users_per_serving_core']} users per core at full use",
        f"  {'page type':34} {'whole run':>26}   {'steady (after the ramp)':>30}",
    ]
    steady = result["steady"]["pages"]
    for name, page in sorted(result["pages"].items()):
        quiet = steady.get(name, {})
        mark = ""
        if name in WAITED_FOR and quiet:
            mark = "  ok" if quiet["p95_ms"] < P95_TARGET_MS else "  OVER"
        lines.append(
            f"  {name:34} {page['requests']:6,}  p50 {page['p50_ms']:6.0f}  p95 {page['p95_ms']:6.0f}   "
            f"{quiet.get('requests', 0):6,}  p50 {quiet.get('p50_ms', 0):6.0f}  p95 {quiet.get('p95_ms', 0):6.0f} ms"
            f"{mark}"
        )
    for name in sorted(set(steady) - set(result["pages"])):  # the pages with their parts
        quiet = steady[name]
        mark = "  ok" if quiet["p95_ms"] < P95_TARGET_MS else "  OVER"
        lines.append(
            f"  {name:34} {'':26}   {quiet['requests']:6,}  p50 {quiet['p50_ms']:6.0f}  p95 {quiet['p95_ms']:6.0f} ms"
            f"{mark}"
        )
    lines.append(
        f"  server time per request (means): {'wall':>6} {'cpu':>6} {'db':>6} {'wait':>6} {'queries':>7}"
    )
    for name, row in sorted(result["server"].items(), key=lambda item: -item[1]["cpu_seconds_total"]):
        lines.append(
            f"    {name:32} {row['requests']:6,} {row['wall_ms']:6.0f} {row['cpu_ms']:6.0f} {row['db_ms']:6.0f} "
            f"{row['waiting_ms']:6.0f} {row['queries']:7.1f}   (CPU {row['cpu_seconds_total']} s)"
        )
    campaign = result.get("campaign")
    if campaign:
        sends = campaign["sends"] or {}
        lines.append(
            f"  campaign #{campaign['id']} to {campaign['recipients']:,}: {sends.get('sent', 0):,} sent during the load, "
            f"{sends.get('per_second')}/s from the first send ({sends.get('first_send_after_s')} s after the start) "
            f"= {sends.get('share_of_limit')} of the limit; busiest second {sends.get('busiest_second')} vs limit "
            f"{sends.get('limit')}; deliveries at the end {campaign['deliveries']}"
        )
    lines.append(f"  logs and Locust CSV: {result['logs']}")
    return lines


def write_json(result: dict, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


def target_met(result: dict) -> bool:
    """Every page a person waits for at p95 < 500 ms in the steady part, and errors < 0.1 %."""
    steady = result["steady"]["pages"]
    pages = [steady[name] for name in WAITED_FOR if name in steady]
    requests_ = sum(page["requests"] for page in steady.values())
    failures = sum(page["failures"] for page in steady.values())
    return (
        bool(pages)
        and all(page["p95_ms"] < P95_TARGET_MS for page in pages)
        and (failures / requests_ if requests_ else 1) < ERROR_RATE_TARGET
    )


def capacity(results: list[dict]) -> dict:
    """The most users of the runs with the target met, and per core of the machine."""
    met = [result["users"] for result in results if target_met(result)]
    cores = results[0]["cpu"]["cores"]
    best = max(met, default=0)
    return {
        "runs": [
            {
                "users": result["users"],
                "target_met": target_met(result),
                "worst_p95_ms": max(
                    (
                        result["steady"]["pages"][n]["p95_ms"]
                        for n in WAITED_FOR
                        if n in result["steady"]["pages"]
                    ),
                    default=None,
                ),
                "worst_page": max(
                    (n for n in WAITED_FOR if n in result["steady"]["pages"]),
                    key=lambda n: result["steady"]["pages"][n]["p95_ms"],
                    default=None,
                ),
                "busy_share": result["cpu"]["busy_share"],
                "load_average_end": result["cpu"]["load_average_end"],
                "sends_per_second": (result.get("campaign") or {}).get("sends", {}).get("per_second"),
            }
            for result in results
        ],
        "users_at_target": best,
        "cores": cores,
        "users_per_core": round(best / cores, 1) if cores else None,
    }


def capacity_lines(figures: dict) -> list[str]:
    lines = ["capacity (steady part, every page a person waits for at p95 < 500 ms, errors < 0.1 %):"]
    for run_ in figures["runs"]:
        lines.append(
            f"  {run_['users']:4} users: worst p95 {run_['worst_p95_ms']} ms ({run_['worst_page']}), CPU {run_['busy_share']:.0%} busy, "
            f"load average {run_['load_average_end']}, sends {run_['sends_per_second']}/s — "
            f"{'met' if run_['target_met'] else 'NOT met'}"
        )
    lines.append(
        f"  → {figures['users_at_target']} users on {figures['cores']} cores = {figures['users_per_core']} per core"
    )
    return lines
