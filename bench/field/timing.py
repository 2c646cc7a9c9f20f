"""How the field measures are timed: medians of repetitions, and raw SQL through psycopg itself."""

import statistics

from django.db import connection

from bench.runner import (
    timed,
)

REPETITIONS = 3  # of each whole-company measure (medians)


def median_timed(call, repetitions: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _n in range(repetitions):
        seconds, result = timed(call)
        samples.append(seconds)
    return samples, result


def figures(samples: list[float]) -> dict:
    return {"seconds": round(statistics.median(samples), 5), "samples": [round(s, 5) for s in samples]}


def raw_fetch(sql: str, params) -> list[tuple]:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # psycopg itself: no ORM, no Django cursor wrapper
        cursor.execute(sql, params)
        return cursor.fetchall()
