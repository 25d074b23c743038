"""The simulator on a loopback HTTP port, with socket-level fault injection.

``SimServer`` is what ``usage-top --demo`` runs in a daemon thread and what
``usage-top sim --port N`` runs in the foreground. It never writes to stderr
(the TUI owns the terminal): request logging is off and unexpected errors go
to the ``logging`` module.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from usage_top.sim.api import Exchange, Simulator, error
from usage_top.sim.faults import NO_FAULTS, SERVER_ERROR_MESSAGE

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the simulator, delivers the answer (faults and all)."""

    protocol_version = "HTTP/1.1"
    server_version = "pubrio-sim/1"
    disable_nagle_algorithm = True
    wbufsize = -1
    """Buffered: headers and body leave in one go (no Nagle/delayed-ACK stall)."""
    server: _HTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            answer = self.server.sim.exchange(self.command, self.path, dict(self.headers), body)
        except Exception:
            log.exception("simulator failed on %s %s", self.command, self.path)
            answer = Exchange(*error(500, SERVER_ERROR_MESSAGE), faults=NO_FAULTS)
        if answer.faults.latency:
            time.sleep(answer.faults.latency)
        self._deliver(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _deliver(self, answer: Exchange) -> None:
        """Write the response; a truncate fault sends half the body, then hangs up."""
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if answer.faults.truncate:
            self.wfile.write(answer.body[: len(answer.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the TUI owns the terminal."""


class _HTTPServer(ThreadingHTTPServer):
    """A threading server that can hang up its open keep-alive connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: Simulator) -> None:
        self.sim = sim
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse-DNS lookup (slow on some hosts)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self) -> tuple[socket.socket, object]:
        conn, address = super().get_request()
        with self._open_lock:
            self._open.add(conn)
        return conn, address

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def hang_up(self) -> None:
        """Close every open client connection (idle keep-alives included)."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients hanging up are routine; anything else is logged, not printed."""
        log.debug("connection from %s failed", client_address, exc_info=True)


class SimServer:
    """Serves a ``Simulator`` over HTTP on ``host:port`` (port 0: any free port).

    The socket is bound at construction, so ``url`` is known (and a busy port
    fails) before ``start()``.
    """

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self._httpd = _HTTPServer((host, port), sim)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL of the server, e.g. ``http://127.0.0.1:43125``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        """The port actually bound."""
        return self._httpd.server_address[1]

    def start(self) -> SimServer:
        """Serve in a daemon thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.02},  # stop() returns within 20 ms
                name=f"usage-top-sim:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections and close the socket."""
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.hang_up()
        self._httpd.server_close()

    def serve_forever(self) -> None:
        """Serve in the calling thread until Ctrl+C, then close cleanly."""
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self._httpd.hang_up()
            self._httpd.server_close()

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
