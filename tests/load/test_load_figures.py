"""The figures `manage.py load_test` reports, from made-up records: the steady window, the send rate beside the
load and the capacity."""

from bench.load.campaign import send_figures
from bench.load.measures import percentile, window_stats
from bench.load.report import capacity, target_met


def test_percentile_is_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile([], 0.95) == 0.0


def test_the_steady_window_leaves_out_the_requests_of_the_ramp(tmp_path):
    record = tmp_path / "requests.csv"
    record.write_text(
        "100.0,login,900.0,1\n"  # during the ramp
        "105.0,daily list,4000.0,1\n"  # during the ramp
        "161.0,daily list,120.0,1\n"
        "170.5,daily list,180.0,0\n"
        "300.0,daily list,50.0,1\n",  # after the end
        encoding="utf-8",
    )
    stats = window_stats(record, start=160.0, end=200.0)
    assert set(stats) == {"daily list"}
    assert stats["daily list"]["requests"] == 2
    assert stats["daily list"]["failures"] == 1
    assert stats["daily list"]["p95_ms"] == 180


def test_the_send_rate_counts_whole_seconds_while_the_campaign_sends():
    # 10 s of load; the first second is partial (the snapshot came first), then 200 a second until the end
    per_second = {1000: 50, **dict.fromkeys(range(1001, 1010), 200)}
    figures = send_figures(per_second=per_second, start=1000.2, end=1010.0, limit=200)
    assert figures["sent"] == 50 + 9 * 200
    assert figures["per_second"] == 200.0
    assert figures["busiest_second"] == 200
    assert figures["busiest_within_limit"]
    assert not figures["finished_during_load"]


def test_a_campaign_that_finished_during_the_load_is_measured_while_it_sent():
    per_second = {1000: 10, 1001: 200, 1002: 200, 1003: 30}
    figures = send_figures(per_second=per_second, start=1000.0, end=1060.0, limit=200)
    assert figures["per_second"] == 200.0
    assert figures["finished_during_load"]


def test_a_busiest_second_over_the_limit_is_reported():
    figures = send_figures(per_second={1000: 10, 1001: 230, 1002: 200}, start=1000.0, end=1003.0, limit=200)
    assert figures["busiest_second"] == 230
    assert not figures["busiest_within_limit"]


def _result(users: int, p95: float, failures: int = 0) -> dict:
    return {
        "users": users,
        "cpu": {"cores": 2, "busy_share": 0.5, "load_average_end": [1.0, 1.0, 1.0]},
        "campaign": {"sends": {"per_second": 199.0}},
        "steady": {
            "pages": {
                "daily list": {"requests": 1000, "failures": failures, "p50_ms": 50, "p95_ms": p95},
                "login": {"requests": 10, "failures": 0, "p50_ms": 900, "p95_ms": 2000},  # not a page
            }
        },
    }


def test_the_target_is_every_waited_for_page_under_500_ms_and_errors_under_a_tenth_of_a_percent():
    assert target_met(_result(50, 499))
    assert not target_met(_result(50, 500))
    assert not target_met(_result(50, 100, failures=2))


def test_capacity_is_the_most_users_at_target_per_core():
    figures = capacity([_result(25, 100), _result(50, 300), _result(100, 900)])
    assert figures["users_at_target"] == 50
    assert figures["users_per_core"] == 25.0
    assert [run["target_met"] for run in figures["runs"]] == [True, True, False]
    assert figures["runs"][2]["worst_page"] == "daily list"  # the login is no page a person waits on
