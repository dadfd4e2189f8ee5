"""The HTTP/1.1 socket layer: a threading server that tracks its connections so it can stop cleanly.

Each connection gets a daemon thread; keep-alive works because every response carries
``Content-Length``. Dropping a connection means closing it without writing a byte.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast

from cloudflare_user_groups.emulator._app import Dispatcher

_log = logging.getLogger("cloudflare_user_groups.emulator")
MAX_BODY_BYTES = 8 * 1024 * 1024


class _BadBody(Exception):
    """The request body could not be read according to its framing headers."""


class EmulatorServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows every open connection and its thread."""

    daemon_threads = True
    timeout = 0.5
    # socketserver's default backlog of 5 drops simultaneous connects, which then wait ~1 s
    # for a SYN retransmit; concurrent clients are the point of the emulator's tests.
    request_queue_size = 128

    def __init__(self, host: str, port: int, dispatcher: Dispatcher) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.dispatcher = dispatcher
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        # serve_forever() polls for shutdown; a wake-up socket pair lets stop() be immediate.
        self._wake_reader, self._wake_writer = socket.socketpair()
        try:
            super().__init__((host, port), _Handler)
        except OSError:
            self._close_wake_pair()
            raise

    def serve_until_woken(self) -> None:
        """Accept connections until :meth:`wake` is called."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._wake_reader in ready:
                    return
                # The listener is readable, so this accepts at once; the timeout only bounds a
                # connection that was reset before it could be accepted.
                self.handle_request()

    def wake(self) -> None:
        """Make :meth:`serve_until_woken` return."""
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._close_wake_pair()

    def _close_wake_pair(self) -> None:
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: tuple[str, int] | str,
    ) -> None:
        sock = cast(socket.socket, request)
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"cf-emulator-conn-{client_address}",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[sock] = thread
        thread.start()

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        with self._connections_lock:
            self._connections.pop(cast(socket.socket, request), None)
        super().shutdown_request(request)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Wake every idle keep-alive connection with EOF and wait for its thread to finish."""
        with self._connections_lock:
            open_now = list(self._connections.items())
        for sock, _ in open_now:
            # OSError: its own thread closed it meanwhile.
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in open_now:
            if thread is not threading.current_thread():
                thread.join(timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudflare-user-groups-emulator"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle's algorithm and the
        # client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        _log.debug("%s - %s", self.address_string(), format % args)

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _BadBody as exc:
            self.close_connection = True
            self._write(400, (("Content-Type", "text/plain; charset=utf-8"),), str(exc).encode())
            return
        server = cast(EmulatorServer, self.server)
        headers = {name.lower(): value for name, value in self.headers.items()}
        outcome = server.dispatcher.handle(self.command, self.path, headers, body)
        if outcome.drop:
            # Closing without writing anything looks like a connection reset to the client.
            self.close_connection = True
            return
        self._write(outcome.status, outcome.headers, outcome.body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        if not raw.strip().isdigit():
            raise _BadBody("invalid Content-Length")
        length = int(raw)
        if length > MAX_BODY_BYTES:
            raise _BadBody("request body too large")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError as exc:
                raise _BadBody("invalid chunked encoding") from exc
            if size == 0:
                # Skip trailers up to the blank line that ends the message.
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise _BadBody("request body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its read timeout fired during a "delay" fault).
            self.close_connection = True
