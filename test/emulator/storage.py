"""The storage server: the emulated S3 behind download and upload URLs.

Offers Storage: issue_download() and issue_upload() (called by the file
routes) hand out URLs on this server with the headers a request must carry;
the server answers
    GET/HEAD /D/<grant>/<filename>   a closed file's bytes, Range supported
    PUT      /U/<grant>              one part's bytes, single use
with S3-style XML errors. Every request to a URL must carry each returned
header with the same value; a Content-Type header not among them counts as
a signature mismatch (as with S3 signed headers); a DNAnexus Authorization
header is refused like S3 refuses an unsupported authorization type.
`rate` (bytes per second) throttles every transfer, per connection.

Upload URLs expire after an hour; the header names (content-length,
content-md5 with the base64 digest, x-amz-signature) are this emulator's
choice: the real set is UNCONFIRMED.
"""

import base64
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import traceback
from email.utils import formatdate
from urllib.parse import quote

from httpbase import CLIENT_GONE, Handler, Server, new_request_id
from reqlog import log_headers

CHUNK = 64 * 1024
FAST_CHUNK = 1 << 20
UPLOAD_SECONDS = 3600
DRAIN_LIMIT = 64 << 20
SIGNATURE = "x-amz-signature"
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
S3_MESSAGES = {
    400: ("RequestTimeout", "Your socket connection to the server was not read from or "
                            "written to within the timeout period."),
    403: ("AccessDenied", "Access Denied"),
    404: ("NoSuchKey", "The specified key does not exist."),
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}


class S3Error(Exception):
    """An S3-style error answer."""

    def __init__(self, status, code, message, extra_headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra_headers = extra_headers or {}


class Grant:
    """What one URL allows: a download of a file or the upload of a part."""

    def __init__(self, kind, file_id, expires, headers, **extra):
        self.kind = kind
        self.file_id = file_id
        self.expires = expires
        self.headers = headers
        self.used = False  # upload URLs are single-use
        self.filename = extra.get("filename")
        self.index = extra.get("index")
        self.job = extra.get("job")  # who asked for the URL, for the log


class Pacer:
    """Holds one transfer to `rate` bytes per second (None: no limit)."""

    def __init__(self, rate):
        self.rate = rate
        self.start = time.monotonic()
        self.done = 0

    @property
    def chunk(self):
        """The largest piece to move at once."""
        return CHUNK if self.rate else FAST_CHUNK

    def moved(self, n):
        """Account for n bytes; sleep when ahead of the rate."""
        if not self.rate:
            return
        self.done += n
        ahead = self.done / self.rate - (time.monotonic() - self.start)
        if ahead > 0:
            time.sleep(ahead)


def s3_error_xml(code, message, request_id):
    """An S3 error document."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message><RequestId>{request_id}</RequestId>"
            f"<HostId>{request_id}</HostId></Error>").encode()


def parse_range(header, size):
    """(start, length) for a single byte range; None for no (usable) Range
    header, which serves the whole object; S3Error 416 when unsatisfiable."""
    m = RANGE_RE.match(header.strip()) if header else None
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if m.group(1):
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else size - 1
        if m.group(2) and end < start:
            return None
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
        if int(m.group(2)) == 0:
            start = size
    if start >= size:
        raise S3Error(416, "InvalidRange", "The requested range is not satisfiable",
                      extra_headers={"Content-Range": f"bytes */{size}"})
    return start, min(end, size - 1) - start + 1


class StorageHandler(Handler):
    """Dispatches storage requests to the Storage owning the server."""

    server_version = "AmazonS3"
    body_consumed = False  # per request: whether the PUT body was read

    def handle_expect_100(self):
        """Answer `Expect: 100-continue` only once the request is accepted."""
        return True

    def do_GET(self):
        self.server.owner.handle(self)

    do_HEAD = do_PUT = do_POST = do_DELETE = do_GET


class Storage:
    """URL grants and the storage HTTP server."""

    def __init__(self, state, files, faults, log, rate=None):
        self.state, self.files, self.faults, self.log = state, files, faults, log
        self.rate = rate
        self.grants = {}
        self.lock = threading.Lock()
        self.server = None

    def start(self, port=0):
        """Listen on 127.0.0.1:port (0: any free port) in a thread."""
        self.server = Server(StorageHandler, self, port)
        self.server.start()
        return self.server.port

    def stop(self):
        """Stop listening once the requests in flight are answered."""
        if self.server:
            self.server.stop()

    # ---- grants ----------------------------------------------------------

    def _grant(self, grant):
        gid = secrets.token_hex(16)
        with self.lock:
            self.grants[gid] = grant
        return gid

    def _base(self):
        return f"http://127.0.0.1:{self.server.port}"

    def issue_download(self, file_id, filename, duration, preauthenticated, job=None):
        """The /download answer for a closed file; job (the caller's job id,
        if any) is only written to the log of the URL's requests."""
        expires = time.time() + duration
        headers = {} if preauthenticated else {SIGNATURE: secrets.token_hex(16)}
        gid = self._grant(Grant("download", file_id, expires, headers, filename=filename, job=job))
        return {"url": f"{self._base()}/D/{gid}/{quote(filename, safe='')}",
                "headers": headers, "expires": int(expires * 1000)}

    def issue_upload(self, file_id, index, size, md5, job=None):
        """The /upload answer for one part."""
        expires = time.time() + UPLOAD_SECONDS
        headers = {}
        if size is not None:
            headers["content-length"] = str(size)
        if md5 is not None:
            headers["content-md5"] = base64.b64encode(bytes.fromhex(md5)).decode()
        headers[SIGNATURE] = secrets.token_hex(16)
        gid = self._grant(Grant("upload", file_id, expires, headers, index=index, job=job))
        return {"url": f"{self._base()}/U/{gid}", "headers": headers,
                "expires": int(expires * 1000)}

    # ---- requests --------------------------------------------------------

    def handle(self, h):
        """Serve one request and log it."""
        with self.server.request():
            self._handle(h)

    def _handle(self, h):
        request_id = new_request_id()
        entry = {"server": "storage", "method": h.command, "path": h.path.split("?")[0],
                 "status": None, "x-request-id": request_id, "headers": log_headers(h.headers),
                 "range": h.headers.get("Range"), "bytes_sent": 0, "bytes_received": 0}
        h.body_consumed = False
        try:
            self._serve(h, request_id, entry)
        except S3Error as e:
            self._send_error(h, e, request_id, entry)
        except CLIENT_GONE as e:
            entry["client_gone"] = type(e).__name__
            h.close_connection = True
        except Exception:  # an emulator bug: answer like S3 would
            traceback.print_exc(file=sys.stderr)
            self._send_error(h, S3Error(500, "InternalError", "emulator error"), request_id, entry)
        finally:
            self.log.write(entry)

    def _send_error(self, h, e, request_id, entry):
        """Answer with an S3 error; a refused PUT's body is drained first
        (so that the client reads the answer) and its connection closed."""
        if h.command == "PUT":
            if not h.body_consumed:
                self._drain(h, entry)
            h.close_connection = True
        headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id,
                   **e.extra_headers}
        entry["status"], entry["error"] = e.status, e.code
        h.respond(e.status, headers, s3_error_xml(e.code, e.message, request_id))

    def _lookup(self, h):
        """(grant id, grant, operation) of the request's URL."""
        path = h.path.split("?")[0]
        parts = path.split("/")
        grant = None
        if len(parts) >= 3 and parts[1] in ("D", "U"):
            with self.lock:
                grant = self.grants.get(parts[2])
        op = {"GET": "download", "HEAD": "download", "PUT": "upload"}.get(h.command)
        if grant is None or op != grant.kind:
            raise S3Error(403, "AccessDenied", "Access Denied")
        return parts[2], grant, op

    def _claim(self, grant):
        """Use up an upload URL; whether this was its first use."""
        with self.lock:
            first, grant.used = not grant.used, True
        return first

    def _serve(self, h, request_id, entry):
        gid, grant, op = self._lookup(h)
        f = self.state.get(grant.file_id, "file")
        entry.update(route=op, file=grant.file_id, job=grant.job)
        if op == "upload":
            entry["part"] = grant.index
        fault = self.faults.pick("storage", op=op, file_id=grant.file_id,
                                 file_name=f["name"] if f else None)
        if fault:
            entry["fault"] = fault.for_log()
            time.sleep(fault.delay)
        first_use = self._claim(grant) if op == "upload" else True
        if fault and self._apply_fault_early(h, fault, op, entry):
            return
        self._check_request(h, grant, first_use)
        if op == "download":
            self._download(h, grant, fault, request_id, entry)
        else:
            self._upload(h, gid, grant, fault, request_id, entry)

    def _apply_fault_early(self, h, fault, op, entry):
        """Apply a fault that answers before the request is processed;
        True when the request is finished."""
        if fault.is_("drop", "before"):
            h.drop()
            return True
        if fault.is_("expire"):
            raise S3Error(403, "AccessDenied", "Request has expired")
        if fault.is_("status"):
            code, message = S3_MESSAGES.get(fault.value, ("ServiceUnavailable", "Injected fault"))
            if op == "download" and fault.value == 400:
                code, message = "BadRequest", "Bad Request"
            extra = {}
            if fault.get("retry_after") is not None:
                extra["Retry-After"] = str(fault.get("retry_after"))
            body = fault.get("body")
            if body is None:
                raise S3Error(fault.value, code, message, extra_headers=extra)
            if op == "upload":
                self._drain(h, entry)
                h.close_connection = True
            entry["status"] = fault.value
            h.respond(fault.value, {"Content-Type": "application/xml", **extra},
                      (body if isinstance(body, str) else json.dumps(body)).encode())
            return True
        return False

    def _drain(self, h, entry):
        """Read and discard a request body that was sent without waiting
        for 100-continue, so that an error answer reaches the client."""
        length = h.headers.get("Content-Length")
        h.body_consumed = True
        if h.headers.get("Expect") or not length or not length.isdigit() or int(length) > DRAIN_LIMIT:
            return
        remaining = int(length)
        while remaining:
            chunk = h.rfile.read(min(FAST_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            entry["bytes_received"] += len(chunk)

    def _check_request(self, h, grant, first_use):
        """Authorization, single use, expiry and the signed headers."""
        if "Authorization" in h.headers:
            raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type")
        if not first_use:
            raise S3Error(403, "AccessDenied", "Request has expired (upload URLs are single-use)")
        if time.time() > grant.expires:
            raise S3Error(403, "AccessDenied", "Request has expired")
        for name, value in grant.headers.items():
            if h.headers.get(name) != value:
                raise S3Error(403, "AccessDenied", "Access Denied: the request lacks the signed "
                              f"header {name} or its value differs")
        content_type = h.headers.get("Content-Type")
        if content_type and grant.headers.get("content-type") != content_type:
            raise S3Error(403, "AccessDenied", "Access Denied: the request carries the unsigned "
                          "header content-type")

    # ---- download --------------------------------------------------------

    def _download(self, h, grant, fault, request_id, entry):
        f = self.state.get(grant.file_id, "file")
        if f is None or f["state"] != "closed":
            raise S3Error(404, "NoSuchKey", "The specified key does not exist.")
        size = f["size"]
        byte_range = parse_range(h.headers.get("Range"), size)
        start, length = byte_range or (0, size)
        headers = {
            "Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
            "ETag": '"%s"' % hashlib.md5(grant.file_id.encode()).hexdigest(),
            "Last-Modified": formatdate(f["modified"] / 1000, usegmt=True),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(grant.filename)}",
            "x-amz-request-id": request_id, "Content-Length": str(length),
        }
        if fault and fault.is_("content_length"):  # a lie; the connection closes after
            headers["Content-Length"] = str(fault.value)
            h.close_connection = True
        status = 206 if byte_range else 200
        if byte_range:
            headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{size}"
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        entry["status"] = status
        if h.command == "HEAD":
            return
        limit = length
        if fault and fault.is_("drop_after_bytes"):
            limit = min(fault.value, length)
        if fault and fault.is_("content_length"):
            limit = min(fault.value, length)
        corrupt_at = start + length // 2 if fault and fault.is_("corrupt") and length else None
        path = self.state.file_dir(grant.file_id) / "data"
        entry["bytes_sent"] = self._send_file(h, path, start, limit, corrupt_at)
        if limit < length:
            h.drop()

    def _send_file(self, h, path, start, length, corrupt_at):
        """Send `length` bytes of `path` from `start`; one byte flipped at
        corrupt_at if given. Returns the bytes sent."""
        pacer = Pacer(self.rate)
        sent = 0
        with open(path, "rb") as src:
            if not self.rate and corrupt_at is None:
                return h.connection.sendfile(src, start, length) if length else 0
            while sent < length:
                n = min(pacer.chunk, length - sent)
                offset = start + sent
                if corrupt_at is not None and offset <= corrupt_at < offset + n:
                    src.seek(offset)
                    data = bytearray(src.read(n))
                    data[corrupt_at - offset] ^= 0xFF
                    h.connection.sendall(data)
                else:
                    h.connection.sendfile(src, offset, n)
                sent += n
                pacer.moved(n)
        return sent

    # ---- upload ----------------------------------------------------------

    def _upload(self, h, gid, grant, fault, request_id, entry):
        if "Transfer-Encoding" in h.headers:
            raise S3Error(501, "NotImplemented", "A header you provided implies functionality "
                          "that is not implemented (Transfer-Encoding)")
        length = h.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise S3Error(411, "MissingContentLength",
                          "You must provide the Content-Length HTTP header.")
        if h.headers.get("Expect", "").lower() == "100-continue":
            h.send_response_only(100)
            h.end_headers()
        tmp = self.state.file_dir(grant.file_id) / "incoming"
        tmp.mkdir(parents=True, exist_ok=True)
        tmp = tmp / gid
        md5 = self._receive(h, tmp, int(length), entry)
        problem = self._digest_problem(h, md5)
        if problem:
            tmp.unlink(missing_ok=True)
            raise problem
        if not self.files.part_uploaded(grant.file_id, grant.index, tmp, int(length), md5):
            raise S3Error(403, "AccessDenied", "The upload is no longer accepted (file not open)")
        if fault and fault.is_("drop", "after"):
            h.drop()
            return
        entry["status"] = 200
        h.respond(200, {"ETag": f'"{md5}"', "x-amz-request-id": request_id})

    def _receive(self, h, tmp, length, entry):
        """Read the body into tmp; its md5 hex digest. IncompleteBody if short."""
        h.body_consumed = True
        digest = hashlib.md5()
        pacer = Pacer(self.rate)
        remaining = length
        with open(tmp, "wb") as out:
            while remaining:
                chunk = h.rfile.read(min(pacer.chunk, remaining))
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
                remaining -= len(chunk)
                entry["bytes_received"] += len(chunk)
                pacer.moved(len(chunk))
        if remaining:
            tmp.unlink(missing_ok=True)
            raise S3Error(400, "IncompleteBody", "You did not provide the number of bytes "
                          "specified by the Content-Length HTTP header")
        return digest.hexdigest()

    def _digest_problem(self, h, md5):
        """An S3Error when the body does not match its Content-MD5."""
        sent = h.headers.get("Content-MD5")
        if sent is None:
            return None
        try:
            claimed = base64.b64decode(sent, validate=True).hex()
        except ValueError:
            claimed = None
        if claimed is None or len(claimed) != 32:
            return S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
        if claimed != md5:
            return S3Error(400, "BadDigest", "The Content-MD5 you specified did not match "
                           "what we received.")
        return None
