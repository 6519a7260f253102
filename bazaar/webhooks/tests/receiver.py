"""A real HTTP receiver on loopback, in a thread: it records every request (headers and body) and
answers as its plan says, so tests see exactly what a webhook endpoint would."""

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """`plan`: what to answer to each request in turn: a status code, ("sleep", seconds) then
    200, or ("redirect", location) (a 302); once the plan is used up, `then` (200)."""

    plan: list = field(default_factory=list)
    then: int = 200
    delay: float = 0.0  # before every answer
    received: list[Received] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self):
        with self.lock:
            return self.plan.pop(0) if self.plan else self.then

    def ids(self) -> list[str]:
        return [request.headers["webhook-id"] for request in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            with receiver.lock:
                receiver.received.append(Received(self.path, headers, body))
            answer = receiver.next_answer()
            time.sleep(receiver.delay)
            if isinstance(answer, tuple) and answer[0] == "sleep":
                time.sleep(answer[1])
                answer = 200
            if isinstance(answer, tuple) and answer[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", answer[1])
            else:
                self.send_response(answer)
            self.send_header("Content-Length", "2")
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (a timeout test)
                self.wfile.write(b"ok")

        def log_message(self, format, *args) -> None:
            pass

    return Handler


@contextmanager
def running_receiver(**options) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
