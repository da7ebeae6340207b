"""HTTP plumbing shared by the API and storage servers.

Offers Server (a threaded HTTP/1.1 server on 127.0.0.1 that stays quiet
when clients disconnect and counts the requests in flight, so that stop()
returns only once every started request is answered and logged), Handler (a
request handler base with keep-alive, no console logging, respond() and
drop()), CLIENT_GONE (the exceptions a vanished client raises) and
new_request_id().
"""

import contextlib
import secrets
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout)


def new_request_id():
    """A unique request ID for a response header."""
    return secrets.token_hex(12)


class Server(ThreadingHTTPServer):
    """One listening socket; a thread per connection."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, handler, owner, port=0):
        self.owner = owner
        self.in_flight = 0
        self.quiet = threading.Condition()
        super().__init__(("127.0.0.1", port), handler)

    @property
    def port(self):
        """The port actually bound."""
        return self.server_address[1]

    def start(self):
        """Serve in a background thread."""
        # shutdown() waits for the serving loop's next poll: the default
        # half second would be added to every `dxemu run`.
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()

    @contextlib.contextmanager
    def request(self):
        """Count one request as in flight for the length of a `with`."""
        with self.quiet:
            self.in_flight += 1
        try:
            yield
        finally:
            with self.quiet:
                self.in_flight -= 1
                self.quiet.notify_all()

    def wait_idle(self, timeout=10):
        """Wait until no request is in flight (at most `timeout` s)."""
        with self.quiet:
            self.quiet.wait_for(lambda: self.in_flight == 0, timeout)

    def stop(self):
        """Stop accepting, let requests in flight finish, close."""
        self.shutdown()
        self.wait_idle()
        self.server_close()

    def handle_error(self, request, client_address):
        """Client disconnects are normal; anything else is reported."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, CLIENT_GONE):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Keep-alive request handler without console logging."""

    protocol_version = "HTTP/1.1"
    timeout = 300

    def setup(self):
        """No Nagle: a response's headers and body go out in separate writes,
        and a kept-alive connection would otherwise wait out the client's
        delayed ACK (40 ms) on every request."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        """The request log replaces the console log."""

    def respond(self, status, headers, body=b"", claimed_length=None):
        """Send a whole response; body is omitted for HEAD. claimed_length
        (a fault) puts another Content-Length than the body's in the
        header; the connection is then closed after the body."""
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if claimed_length is not None:
            self.close_connection = True
        self.send_header("Content-Length", str(len(body) if claimed_length is None else claimed_length))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        return len(body)

    def drop(self):
        """Close the connection without (more of) a response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
