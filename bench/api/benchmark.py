"""The `api` benchmark (DESIGN.md, Performance targets): p95 of a filtered 50-row retailer list — as JSON from
/api/v1/retailers/ and as the /retailers/ page — divided by p95 of a raw keyset SQL page with the same filter.

One run: make sure the database holds the scale's retailers, ANALYZE, build a realistic mix of filters from
the data, walk every filter's first pages once to warm up and to check correctness (the three targets return
the same rows; no COUNT(*); a constant number of queries per request), then time the three targets in lockstep
(page k of the raw SQL, then of the API, then of the page) so that load on the machine hits them alike."""

from bench.api.targets import BASELINE_WHAT, Targets, queries_check, queries_summary, walk
from bench.api.workload import PAGE_SIZE, Samples, build_cases
from bench.runner import (
    SCALES,
    BenchError,
    analyze,
    ensure_retailers,
    environment,
    peak_rss_mb,
    rss_mb,
    summarize,
)
from users.models import User

RATIO_MAX = 3.0
PAGES_PER_CASE = 4
DEFAULT_ITERATIONS = 200
TABLES = ("accounts_retailer", "users_route", "users_user", "users_orgunit")


def run(*, scale: str, iterations: int = DEFAULT_ITERATIONS, seed: int = 20261123, stdout=None) -> dict:
    """Run the api benchmark at `scale`; return the result document (see bench_command for the JSON)."""
    count = SCALES[scale]
    seed_seconds = ensure_retailers(count, stdout=stdout)
    analyze(*TABLES)
    supervisor = (
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, org_unit__isnull=False)
        .select_related("org_unit")
        .order_by("username")
        .first()
    )
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("username").first()
    if supervisor is None or admin is None:
        raise BenchError("the demo data has no supervisor or no admin login")
    cases = build_cases(supervisor=supervisor, seed=seed)
    targets = Targets(users={"supervisor": supervisor, "admin": admin})

    # Warm-up and correctness: one walk of every case, capturing each request's SQL (not timed).
    queries: dict = {}
    pages_per_round = sum(
        walk(targets, case, pages=PAGES_PER_CASE, samples=None, queries=queries) for case in cases
    )
    errors = queries_check(queries)
    if errors:
        raise BenchError("; ".join(errors))

    samples = Samples()
    rounds = 0
    while len(samples.seconds["baseline"]) < iterations:
        for case in cases:
            walk(targets, case, pages=PAGES_PER_CASE, samples=samples, queries=None)
        rounds += 1

    baseline = summarize(samples.seconds["baseline"])
    measured = {target: summarize(samples.seconds[target]) for target in ("api", "page")}
    for target in ("api", "page"):
        measured[target]["by_role"] = {
            role: summarize(samples.by_role[f"{target}:{role}"]) for role in ("supervisor", "admin")
        }
    ratio = {target: measured[target]["p95"] / baseline["p95"] for target in ("api", "page")}
    return {
        "name": "api",
        "scale": scale,
        "retailers": count,
        "unit": "seconds",
        "baseline": {
            "what": BASELINE_WHAT,
            "seconds": baseline["p95"],
            **baseline,
            "by_role": {
                role: summarize(samples.by_role[f"baseline:{role}"]) for role in ("supervisor", "admin")
            },
        },
        "measured": measured,
        "ratio": ratio,
        "target": {
            "ratio_max": RATIO_MAX,
            "met": {target: value <= RATIO_MAX for target, value in ratio.items()},
            "no_unfiltered_count": True,
        },
        "queries_per_request": queries_summary(queries),
        "workload": {
            "page_size": PAGE_SIZE,
            "pages_per_filter": PAGES_PER_CASE,
            "pages_per_round": pages_per_round,
            "rounds": rounds,
            "users": {
                "supervisor": f"{supervisor.username} ({supervisor.org_unit})",
                "admin": admin.username,
            },
            "filters": [{"label": c.label, "as": c.role, "query": c.query} for c in cases],
        },
        "peak_rss_mb": peak_rss_mb(),  # of the whole run, seeding included
        "rss_mb_at_end": rss_mb(),
        "seed_seconds": seed_seconds,
        "environment": environment(),
    }


def summary_lines(result: dict) -> list[str]:
    ms = 1000
    base, api, page = result["baseline"], result["measured"]["api"], result["measured"]["page"]
    qpr = result["queries_per_request"]
    lines = [
        f"bench api · scale {result['scale']} · {result['retailers']:,} retailers"
        f" · seeded in {result['seed_seconds']:.1f}s · peak RSS {result['peak_rss_mb']:.0f} MB"
        f" (now {result['rss_mb_at_end']:.0f} MB)",
        f"  raw keyset SQL  p50 {base['p50'] * ms:7.2f} ms   p95 {base['p95'] * ms:7.2f} ms   (n={base['n']})",
    ]
    for name, figures in (("API /api/v1/", api), ("page /retailers/", page)):
        ratio = result["ratio"]["api" if name.startswith("API") else "page"]
        verdict = "ok" if ratio <= result["target"]["ratio_max"] else "MISSED"
        lines.append(
            f"  {name:<16} p50 {figures['p50'] * ms:7.2f} ms   p95 {figures['p95'] * ms:7.2f} ms"
            f"   ratio {ratio:5.2f} (≤ {result['target']['ratio_max']:.0f}: {verdict})"
        )
    lines.append(
        f"  queries/request: api {qpr['api']['min']}–{qpr['api']['max']}, page {qpr['page']['min']}–"
        f"{qpr['page']['max']}, constant per filter; COUNT(*): {qpr['count_star']}"
    )
    return lines
