"""The API server: the emulated DNAnexus HTTP API (POST /<route>, JSON).

Offers Api: start()/stop() an HTTP server on 127.0.0.1 whose every request
goes through the same steps, in this order:
    fault rules (delay, drop before, injected status)
    method must be POST                  else 405 MethodNotAllowed
    Content-Type absent or application/json (any parameters)
                                         else 400 MalformedJSON
    body must parse as JSON              else 400 MalformedJSON
    Authorization: Bearer <token> (scheme case-insensitive), token of a
    job that is not finished (or the serve user's token)
                                         else 401 InvalidAuthentication
    known route                          else 404 ResourceNotFound
    body must be a JSON object           else 422 InvalidInput
    nonce (/file/new, /job/new): the same nonce with the same input returns
    the first answer; with another input 422 InvalidInput
then the route's handler. Every answer carries X-Request-ID and
Content-Type: application/json; errors are {"error": {"type", "message"}}.
The order of these checks, 405 for other methods and the nonce scope
(global, in memory) are this emulator's choices (UNCONFIRMED).
"""

import json
import re
import secrets
import sys
import time
import traceback

from errors import (ApiError, TYPE_FOR_STATUS, error_body, get_fields, invalid,
                    select_fields)
from httpbase import CLIENT_GONE, Handler, Server, new_request_id
from access import LEVELS, Caller
from links import ID_RE
from reqlog import log_headers

CLASS_ROUTE_RE = re.compile(r"^/([a-z]+)/new$")
OBJECT_ROUTE_RE = re.compile(r"^/([a-z]+-[0-9A-Za-z]{24})/([A-Za-z]+)$")
NONCE_ROUTES = ("/file/new", "/job/new")
CONTAINER_DEFAULTS = ("id", "class", "name", "region", "created", "modified", "level", "billTo")
APPLET_DEFAULTS = ("id", "class", "name", "project", "folder", "created", "modified",
                   "inputSpec", "outputSpec", "runSpec", "access", "dxapi", "title", "summary")


class ApiHandler(Handler):
    """Hands every request to the Api owning the server."""

    server_version = "nginx"

    def do_POST(self):
        self.server.owner.handle(self)

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST


class Api:
    """Routes, authentication and the HTTP server of the API."""

    def __init__(self, state, files, jobs, faults, log, user_token=None):
        self.state, self.files, self.jobs = state, files, jobs
        self.faults, self.log = faults, log
        self.user_token = user_token
        self.nonces = {}
        self.server = None
        self.routes = {
            ("file", "new"): lambda c, _, b, __: self.files.new(c, b),
            ("job", "new"): lambda c, _, b, __: self.jobs.api_new(c, b),
            ("file", "describe"): lambda c, o, b, _: self.files.describe(c, o, b),
            ("file", "download"): lambda c, o, b, _: self.files.download(c, o, b),
            ("file", "upload"): lambda c, o, b, _: self.files.upload(c, o, b),
            ("file", "close"): self._close,
            ("project", "describe"): self._describe_container,
            ("container", "describe"): self._describe_container,
            ("applet", "describe"): self._describe_applet,
            ("job", "describe"): lambda c, o, b, _: self.jobs.api_describe(c, o, b),
            ("job", "terminate"): lambda c, o, b, _: self.jobs.api_terminate(c, o),
        }

    def start(self, port=0):
        """Listen on 127.0.0.1:port (0: any free port) in a thread."""
        self.server = Server(ApiHandler, self, port)
        self.server.start()
        return self.server.port

    def stop(self):
        """Stop listening once the requests in flight are answered."""
        if self.server:
            self.server.stop()

    # ---- one request -----------------------------------------------------

    def handle(self, h):
        """Serve one request and log it."""
        with self.server.request():
            self._handle(h)

    def _handle(self, h):
        request_id = new_request_id()
        path = h.path.split("?")[0]
        entry = {"server": "api", "method": h.command, "path": path, "route": route_name(path),
                 "job": None, "status": None, "x-request-id": request_id,
                 "headers": log_headers(h.headers), "bytes_sent": 0, "bytes_received": 0}
        try:
            status, value, fault = self._answer(h, path, request_id, entry)
            if status is None:
                return
            if fault and fault.is_("drop", "after"):
                h.drop()
                return
            claimed = fault.value if fault and fault.is_("content_length") else None
            self._send(h, status, value, request_id, entry, claimed_length=claimed)
        except CLIENT_GONE as e:
            entry["client_gone"] = type(e).__name__
            h.close_connection = True
        except Exception as e:  # an emulator bug: answer like the platform would
            traceback.print_exc(file=sys.stderr)
            entry["error"] = "InternalError"
            self._send(h, 500, error_body("InternalError", f"emulator error: {e}"),
                       request_id, entry)
        finally:
            self.log.write(entry)

    def _answer(self, h, path, request_id, entry):
        """(status, JSON value, fault) of the request; status is None when
        an injected fault has already answered or dropped it."""
        fault = None
        try:
            raw = read_body(h)
            entry["bytes_received"] = len(raw)
            entry["body"] = loggable_body(raw)
            fault = self._pick_fault(path, entry["body"])
            if fault:
                entry["fault"] = fault.for_log()
                time.sleep(fault.delay)
                if self._apply_fault_early(h, fault, request_id, entry):
                    return None, None, fault
            return 200, self._process(h, path, raw, fault, entry), fault
        except ApiError as e:
            entry["error"] = e.type
            return e.status, error_body(e.type, e.message), fault

    def _send(self, h, status, value, request_id, entry, extra_headers=None, claimed_length=None):
        body = json.dumps(value).encode()
        headers = {"Content-Type": "application/json", "X-Request-ID": request_id}
        headers.update(extra_headers or {})
        entry["status"] = status
        entry["bytes_sent"] = h.respond(status, headers, body, claimed_length)

    def _pick_fault(self, path, body):
        m = OBJECT_ROUTE_RE.match(path)
        file_id = m.group(1) if m and m.group(1).startswith("file-") else None
        f = self.state.get(file_id, "file") if file_id else None
        name = f["name"] if f else (body.get("name") if path == "/file/new"
                                     and isinstance(body, dict) else None)
        return self.faults.pick("api", path=path, file_id=file_id,
                                file_name=name if isinstance(name, str) else None)

    def _apply_fault_early(self, h, fault, request_id, entry):
        """Drop or answer with an injected status; True when done."""
        if fault.is_("drop", "before"):
            h.drop()
            return True
        if not fault.is_("status"):
            return False
        extra = {}
        if fault.get("retry_after") is not None:
            extra["Retry-After"] = str(fault.get("retry_after"))
        body = fault.get("body")
        if body is None:
            etype = TYPE_FOR_STATUS.get(fault.value, "InternalError")
            body = error_body(etype, f"Injected fault: HTTP {fault.value}")
        if isinstance(body, str):
            entry["status"] = fault.value
            entry["bytes_sent"] = h.respond(fault.value, {"Content-Type": "application/json",
                                                          "X-Request-ID": request_id, **extra},
                                            body.encode())
        else:
            self._send(h, fault.value, body, request_id, entry, extra)
        return True

    def _process(self, h, path, raw, fault, entry):
        """The checks every call goes through, then the route's handler."""
        if h.command != "POST":
            raise ApiError("MethodNotAllowed", f"{h.command} is not supported; use POST")
        ctype = h.headers.get("Content-Type")
        if ctype is not None and ctype.split(";")[0].strip().lower() != "application/json":
            raise ApiError("MalformedJSON", f"Content-Type must be application/json, not {ctype}")
        try:
            body = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError("MalformedJSON", f"The input could not be parsed as JSON: {e}") from e
        caller = self._authenticate(h)
        entry["job"] = caller.job["id"] if caller.job else None
        handler, oid = self._route(path)
        if not isinstance(body, dict):
            raise invalid("Expected input to be a JSON object")
        nonce = body.get("nonce")
        if path not in NONCE_ROUTES or nonce is None:
            return handler(caller, oid, body, fault)
        if not isinstance(nonce, str) or not nonce:
            raise invalid('Expected key "nonce" of input to be a non-empty string')
        entry["nonce"] = nonce
        with self.state.lock:
            seen = self.nonces.get((path, nonce))
            if seen is not None:
                if seen[0] != body:
                    raise invalid(f'The nonce "{nonce}" was already used with a different input')
                return seen[1]
            result = handler(caller, oid, body, fault)
            self.nonces[(path, nonce)] = (body, result)
            return result

    def _authenticate(self, h):
        header = h.headers.get("Authorization")
        if header is None:
            raise ApiError("InvalidAuthentication", "Authorization header missing")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token or " " in token:
            raise ApiError("InvalidAuthentication",
                           "Authorization header must be of the form 'Bearer <token>'")
        if self.user_token and secrets.compare_digest(token, self.user_token):
            return Caller.user()
        caller = self.jobs.caller_for_token(token)
        if caller is None:
            raise ApiError("InvalidAuthentication", "The token could not be found or has expired")
        return caller

    def _route(self, path):
        m = CLASS_ROUTE_RE.match(path)
        if m and (m.group(1), "new") in self.routes:
            return self.routes[(m.group(1), "new")], None
        m = OBJECT_ROUTE_RE.match(path)
        if m and ID_RE.match(m.group(1)):
            key = (m.group(1).split("-", 1)[0], m.group(2))
            if key in self.routes:
                return self.routes[key], m.group(1)
        raise ApiError("ResourceNotFound", f'The route "{path}" could not be found')

    # ---- small routes ----------------------------------------------------

    def _close(self, caller, fid, body, fault):
        """POST /file-xxxx/close, with the closing faults."""
        closing = fault.value if fault and fault.is_("closing_seconds") else None
        never = bool(fault and fault.is_("never_close"))
        return self.files.close(caller, fid, closing, never)

    def _describe_container(self, caller, cid, body, _fault):
        """POST /project-xxxx/describe and /container-xxxx/describe."""
        fields, default_fields = get_fields(body)
        with self.state.lock:
            obj = self.state.get(cid, cid.split("-", 1)[0])
            if obj is None:
                raise ApiError("ResourceNotFound", f'The entity "{cid}" could not be found')
            caller.require(cid, "VIEW")
            level = next(k for k, v in LEVELS.items() if v == caller.level(cid))
            full = {k: obj[k] for k in ("id", "class", "name", "region", "created", "modified",
                                        "fileUploadParameters")}
            full.update(level=level, billTo="user-emulator", folders=obj["folders"])
            return select_fields(full, fields, default_fields, CONTAINER_DEFAULTS)

    def _describe_applet(self, caller, aid, body, _fault):
        """POST /applet-xxxx/describe."""
        fields, default_fields = get_fields(body)
        with self.state.lock:
            applet = self.state.get(aid, "applet")
            if applet is None:
                raise ApiError("ResourceNotFound", f'The entity "{aid}" could not be found')
            caller.require(applet["project"], "VIEW")
            dxapp = applet["dxapp"]
            full = {"id": aid, "class": "applet", "name": applet["name"],
                    "project": applet["project"], "folder": "/",
                    "created": applet["created"], "modified": applet["modified"],
                    "inputSpec": dxapp.get("inputSpec"), "outputSpec": dxapp.get("outputSpec"),
                    "runSpec": dxapp.get("runSpec"), "access": dxapp.get("access", {}),
                    "dxapi": dxapp.get("dxapi", "1.0.0"), "title": dxapp.get("title"),
                    "summary": dxapp.get("summary")}
            return select_fields(full, fields, default_fields, APPLET_DEFAULTS)


def route_name(path):
    """The route in the reference's notation: /file-xxxx/describe."""
    m = OBJECT_ROUTE_RE.match(path)
    if m:
        return "/" + m.group(1).split("-", 1)[0] + "-xxxx/" + m.group(2)
    return path


def read_body(h):
    """The request body (Content-Length or chunked); b"" when none."""
    if h.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            line = h.rfile.readline().split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                h.close_connection = True
                raise ApiError("MalformedJSON", "Invalid chunked request body") from None
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
    length = h.headers.get("Content-Length", "0")
    if not length.isdigit():
        h.close_connection = True
        raise ApiError("MalformedJSON", "Invalid Content-Length")
    return h.rfile.read(int(length)) if int(length) else b""


def reject_constant(name):
    """NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not valid JSON")


def loggable_body(raw):
    """The request body for the log: its JSON value, else its text."""
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
