"""The WSGI application of the load test: crm.wsgi's, timed. `manage.py load_test` runs gunicorn on
`bench.load.wsgi:application` so that each request's server time can be split per page type (the page type comes
from the X-Load-Page header the Locust users send):

- wall: from the moment the worker thread takes the request to the moment the response is returned;
- cpu: the thread's own CPU time over that span (time.thread_time: Python, template rendering, the database
  driver's parsing);
- db: wall time inside cursor.execute/executemany (every database alias), with the number of queries;
- the rest (wall − cpu − db) is time the thread was ready but not running: waiting for the GIL or for a core.

One line per request, `page,status,wall_ms,cpu_ms,db_ms,queries`, in LOAD_TIMING_DIR/server-<pid>.csv. Nothing
else differs from crm.wsgi: the same settings, middleware and views.
"""

import contextlib
import os
import threading
import time
from pathlib import Path

from crm.wsgi import application as _application

_DIR = Path(os.environ.get("LOAD_TIMING_DIR", "."))
_lock = threading.Lock()
_files: dict[int, object] = {}


def _out():
    pid = os.getpid()
    handle = _files.get(pid)
    if handle is None:
        handle = _files[pid] = (_DIR / f"server-{pid}.csv").open("a", encoding="utf-8", buffering=1)
    return handle


class _DatabaseTimer:
    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def application(environ, start_response):
    from django.db import connections

    page = environ.get("HTTP_X_LOAD_PAGE", "-").replace(",", " ")
    status = []

    def recording_start_response(code, headers, exc_info=None):
        status.append(code.split(" ", 1)[0])
        return start_response(code, headers, exc_info)

    timer = _DatabaseTimer()
    wall, cpu = time.perf_counter(), time.thread_time()
    with contextlib.ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(timer))
        response = _application(environ, recording_start_response)
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    line = (
        f"{page},{status[0] if status else '-'},{wall * 1000:.1f},{cpu * 1000:.1f},{timer.seconds * 1000:.1f},"
        f"{timer.queries}\n"
    )
    with _lock:
        _out().write(line)
    return response
