"""The request log: ROOT/requests.jsonl, one JSON object per HTTP request.

Offers RequestLog.write(entry) (thread-safe append) and log_headers(), which
copies request headers for the log while replacing Authorization by whether
it was present and its scheme word: a token is never written.

Entry fields: time (seconds since the epoch), server ("api"|"storage"),
method, path, route, job (api: the job whose token was used), status
(null when the connection was dropped), x-request-id, headers, body (api:
the JSON body, or the raw text when it is not JSON), range, bytes_sent,
bytes_received, nonce, file, error (type of an error answer), fault (the
injected fault, if any).
"""

import json
import threading
import time


def log_headers(headers):
    """Request headers for the log, with Authorization reduced to its scheme."""
    out = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = value.split(None, 1)[0] if value.strip() else ""
            out["authorization"] = {"present": True, "scheme": scheme}
        else:
            out[name.lower()] = value
    return out


class RequestLog:
    """Appends request entries to a JSONL file."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, entry):
        """Append one entry (a dict), stamped with the current time."""
        entry = {"time": round(time.time(), 6), **entry}
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self.lock, open(self.path, "a") as f:
            f.write(line)
