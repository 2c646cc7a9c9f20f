"""A small real HTTP SMS gateway for tests, `make run` and the dispatch benchmark. It speaks the contract in
campaigns.channels.sms, deduplicates on the idempotency key like a real gateway must, and counts what it
receives: raw messages and requests (every resend included), unique keys, messages per number, and messages per
wall-clock second (the rate the global limit must hold).

    gateway = FakeGateway(secret="s").start()     # in a thread of this process, on a free port
    gateway.url, gateway.stats(), gateway.fail_next(3), gateway.stop()

    python -m campaigns.fake_gateway --port 8799   # standalone; GET /stats answers the counters as JSON
"""

import argparse
import collections
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client expects
    server: "_Server"

    def log_message(self, format, *args):
        return

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/stats":
            self._answer(200, self.server.gateway.stats())
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        gateway = self.server.gateway
        status, payload = gateway.handle(body, self.headers)
        self._answer(status, payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: "FakeGateway"

    def handle_error(self, request, client_address):
        # a client that went away mid-answer (a killed worker) is part of the tests, not an error
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeGateway:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, secret: str = "", latency: float = 0.0):
        self.secret = secret
        self.latency = latency
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.gateway = self
        self._thread: threading.Thread | None = None
        self.reset()

    # ---- control -----------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/send"

    def start(self) -> "FakeGateway":
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-sms-gateway", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.raw_messages = 0
            self.keys: dict[str, str] = {}  # idempotency key -> message id
            self.per_number: collections.Counter = collections.Counter()  # unique messages per number
            self.per_second: collections.Counter = collections.Counter()  # raw messages per wall-clock second
            self.texts: dict[str, str] = {}
            self.rejected_requests = 0
            self._fail_next = 0
            self._reject_numbers: set[str] = set()
            self._hold_after: int | None = None
            self.holding = threading.Event()
            self._released = threading.Event()

    def fail_next(self, requests: int) -> None:
        """Answer the next `requests` POSTs with 503 (a transient gateway failure)."""
        with self._lock:
            self._fail_next = requests

    def hold_after(self, unique_keys: int) -> threading.Event:
        """Once `unique_keys` keys are accepted, the request that got there answers only after release(): the
        messages are accepted but the sender has no answer yet (the moment a crash test kills the worker).
        Returns the event set when the hold begins; each call arms a new hold (a test may kill several times)."""
        with self._lock:
            self._hold_after = unique_keys
            self.holding = threading.Event()
            self._released = threading.Event()
        return self.holding

    def release(self) -> None:
        self._released.set()

    def reject_numbers(self, *numbers: str) -> None:
        with self._lock:
            self._reject_numbers.update(numbers)

    def stats(self) -> dict:
        with self._lock:
            return {
                "requests": self.requests,
                "raw_messages": self.raw_messages,
                "unique_keys": len(self.keys),
                "numbers": len(self.per_number),
                "max_per_number": max(self.per_number.values(), default=0),
                "peak_second": max(self.per_second.values(), default=0),
                "rejected_requests": self.rejected_requests,
            }

    def per_second_counts(self) -> dict[int, int]:
        with self._lock:
            return dict(self.per_second)

    # ---- the gateway -------------------------------------------------------------------------------------
    def handle(self, body: bytes, headers) -> tuple[int, dict]:
        if self.latency:
            time.sleep(self.latency)
        if self.secret:
            timestamp = headers.get("X-Timestamp", "")
            expected = hmac.new(self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
            if not hmac.compare_digest(expected.hexdigest(), headers.get("X-Signature", "")):
                with self._lock:
                    self.rejected_requests += 1
                return 401, {"error": "bad signature"}
        try:
            messages = json.loads(body)["messages"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": 'expected {"messages": [...]}'}
        second = int(time.time())
        results = []
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return 503, {"error": "try again"}
            self.requests += 1
            for message in messages:
                key, number = str(message["id"]), str(message["to"])
                self.raw_messages += 1
                self.per_second[second] += 1
                if number in self._reject_numbers:
                    results.append({"id": key, "status": "rejected", "error": "number not in service"})
                elif key in self.keys:
                    results.append({"id": key, "status": "duplicate", "message_id": self.keys[key]})
                else:
                    message_id = f"F{len(self.keys) + 1:09d}"
                    self.keys[key] = message_id
                    self.per_number[number] += 1
                    self.texts[key] = message.get("text", "")
                    results.append({"id": key, "status": "accepted", "message_id": message_id})
            hold = self._hold_after is not None and len(self.keys) >= self._hold_after
            if hold:
                self._hold_after = None
                holding, released = self.holding, self._released
        if hold:
            holding.set()
            released.wait(timeout=120)
        return 200, {"results": results}


def main() -> None:  # pragma: no cover - a development tool
    parser = argparse.ArgumentParser(description="A fake SMS gateway that counts what it receives.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    gateway = FakeGateway(host=args.host, port=args.port, secret=args.secret)
    print(f"fake SMS gateway at {gateway.url} (GET /stats)", flush=True)  # noqa: T201
    gateway._server.serve_forever()


if __name__ == "__main__":
    main()
