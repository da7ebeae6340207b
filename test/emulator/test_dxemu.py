"""Tests of the platform emulator, through real HTTP against its servers.

Run: python3 test_dxemu.py   -> one line per test, "PASS <name>" or
"FAIL <name>: <why>"; exit status 1 if any failed. Test applets are small
bash scripts written to temporary directories; they reach the API with
`dxcall`, a tiny python3 client put in each applet's resources/usr/bin.
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from emulator import Emulator  # noqa: E402
from faults import FaultError, FaultSet  # noqa: E402
from iospec import SpecError  # noqa: E402
from state import UPLOAD_PARAMS, State  # noqa: E402

DXEMU = os.path.join(HERE, "dxemu.py")
MIB = 1 << 20

DXCALL = r'''#!/usr/bin/env python3
"""dxcall ROUTE [JSON] | upload NAME TEXT | newjob FUNCTION INPUT [DEPENDS] | cat FILE PROJECT"""
import hashlib, http.client, json, os, sys, uuid
from urllib.parse import urlsplit
CTX = json.loads(os.environ["DX_SECURITY_CONTEXT"])

def api(route, body):
    c = http.client.HTTPConnection(os.environ["DX_APISERVER_HOST"], int(os.environ["DX_APISERVER_PORT"]))
    c.request("POST", route, json.dumps(body), {
        "Authorization": CTX["auth_token_type"] + " " + CTX["auth_token"],
        "Content-Type": "application/json"})
    r = c.getresponse()
    data = json.loads(r.read())
    if r.status != 200:
        sys.exit(f"{route}: {r.status} {data}")
    return data

def storage(method, url, headers, data=None):
    u = urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port)
    c.request(method, u.path, data, headers)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit(f"{method} {r.status} {body}")
    return body

cmd = sys.argv[1]
if cmd == "upload":
    text = sys.argv[3].encode()
    fid = api("/file/new", {"project": os.environ["DX_WORKSPACE_ID"], "name": sys.argv[2],
                            "nonce": uuid.uuid4().hex})["id"]
    up = api(f"/{fid}/upload", {"index": 1, "size": len(text), "md5": hashlib.md5(text).hexdigest()})
    storage("PUT", up["url"], up["headers"], text)
    api(f"/{fid}/close", {})
    print(fid)
elif cmd == "newjob":
    body = {"function": sys.argv[2], "input": json.loads(sys.argv[3]), "nonce": uuid.uuid4().hex}
    if len(sys.argv) > 4:
        body["dependsOn"] = json.loads(sys.argv[4])
    print(api("/job/new", body)["id"])
elif cmd == "cat":
    dl = api(f"/{sys.argv[2]}/download", {"project": sys.argv[3]})
    sys.stdout.write(storage("GET", dl["url"], dl["headers"]).decode())
else:
    print(json.dumps(api(cmd, json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})))
'''


def make_applet(parent, name, code, input_spec=None, output_spec=None, **extra):
    """An applet directory with dxapp.json, src/code.sh and dxcall."""
    adir = os.path.join(parent, name)
    os.makedirs(os.path.join(adir, "src"))
    os.makedirs(os.path.join(adir, "resources", "usr", "bin"))
    dxapp = {"name": name, "runSpec": {"interpreter": "bash", "file": "src/code.sh",
                                       "distribution": "Ubuntu", "release": "24.04",
                                       "version": "0"}, **extra}
    if input_spec is not None:
        dxapp["inputSpec"] = input_spec
    if output_spec is not None:
        dxapp["outputSpec"] = output_spec
    with open(os.path.join(adir, "dxapp.json"), "w") as f:
        json.dump(dxapp, f)
    with open(os.path.join(adir, "src", "code.sh"), "w") as f:
        f.write(textwrap.dedent(code))
    tool = os.path.join(adir, "resources", "usr", "bin", "dxcall")
    with open(tool, "w") as f:
        f.write(DXCALL)
    os.chmod(tool, 0o755)
    return adir


def link(oid):
    return {"$dnanexus_link": oid}


class EmulatorCase(unittest.TestCase):
    """A fresh emulator state and running servers per test."""

    upload_params = "aws"
    min_part_size = None
    close_delay = 0.05
    faults = ()
    rate = None
    max_parallel = None

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="dxemu-test-")
        self.root = os.path.join(self.tmp, "root")
        params = dict(UPLOAD_PARAMS[self.upload_params])
        if self.min_part_size is not None:
            params["minimumPartSize"] = self.min_part_size
        self.project = State.create(self.root, params).project_id
        self.emu = Emulator(self.root, faults=FaultSet(self.faults), rate=self.rate,
                            close_delay=self.close_delay, max_parallel=self.max_parallel,
                            echo=False)
        self.emu.start()
        self._token = None

    def tearDown(self):
        self.emu.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- helpers ---------------------------------------------------------

    def applet(self, name, code, input_spec=None, output_spec=None, **extra):
        adir = make_applet(self.tmp, name, code, input_spec, output_spec, **extra)
        return self.emu.build(adir)

    def run_applet(self, name, code, given=None, **kw):
        timeout = kw.pop("timeout", None)
        applet = self.applet(name, code, **kw)
        return self.emu.run(applet, given or {}, timeout=timeout)

    @property
    def token(self):
        """The token of a job that sleeps for the whole test."""
        if self._token is None:
            applet = self.applet("sleeper", "main() { sleep 60; }\n")
            self.sleeper = self.emu.start_job(applet, {})
            self._token = self.emu.jobs.job_tokens[self.sleeper]
        return self._token

    @property
    def workspace(self):
        self.token
        return self.emu.state.get(self.sleeper)["workspace"]

    def call(self, route, body=None, token=True, method="POST", headers=None, raw=None):
        """(status, headers, parsed JSON body) of one API request."""
        hdrs = {"Content-Type": "application/json"}
        if token:
            hdrs["Authorization"] = "Bearer " + (self.token if token is True else token)
        for name, value in (headers or {}).items():
            if value is None:
                hdrs.pop(name, None)
            else:
                hdrs[name] = value
        data = raw if raw is not None else json.dumps({} if body is None else body)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.api_port, timeout=10)
        try:
            conn.request(method, route, data, hdrs)
            resp = conn.getresponse()
            text = resp.read()
        finally:
            conn.close()
        return resp.status, resp.headers, json.loads(text) if text else None

    def ok(self, route, body=None, **kw):
        status, _, data = self.call(route, body, **kw)
        self.assertEqual(status, 200, data)
        return data

    def error(self, route, body=None, status=None, etype=None, **kw):
        got, headers, data = self.call(route, body, **kw)
        self.assertIn("error", data or {}, data)
        self.assertEqual(set(data["error"]) >= {"type", "message"}, True, data)
        if status is not None:
            self.assertEqual(got, status, data)
        if etype is not None:
            self.assertEqual(data["error"]["type"], etype, data)
        self.assertEqual(headers["Content-Type"], "application/json")
        return data["error"]

    def storage(self, method, url, headers=None, body=None):
        """(status, headers, body bytes) of one storage request."""
        u = urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            conn.request(method, u.path, body, headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def put_file(self, data, name="data.bin", part_size=64 * MIB, md5=True):
        """A closed file in the project holding `data`."""
        path = os.path.join(self.tmp, "upload-" + name)
        with open(path, "wb") as f:
            f.write(data)
        return self.emu.files.import_local(path, name, self.project, "/", part_size, md5)

    def new_file(self, name="new.txt"):
        return self.ok("/file/new", {"project": self.workspace, "name": name})["id"]

    def upload_part(self, fid, index, data, declare=True):
        body = {"index": index}
        if declare:
            body.update(size=len(data), md5=hashlib.md5(data).hexdigest())
        up = self.ok(f"/{fid}/upload", body)
        status, _, text = self.storage("PUT", up["url"], up["headers"], data)
        self.assertEqual(status, 200, text)
        return up

    def wait_state(self, fid, state, limit=5):
        deadline = time.time() + limit
        while time.time() < deadline:
            if self.emu.state.get(fid)["state"] == state:
                return
            time.sleep(0.02)
        self.fail(f"{fid} never reached {state}")

    def download(self, fid, **body):
        return self.ok(f"/{fid}/download", {"project": self.project, **body})

    def with_faults(self, rules):
        """Replace the running emulator's fault rules."""
        self.emu.faults.rules = FaultSet(rules).rules

    def log_entries(self):
        """The request log, once the requests in flight are logged."""
        self.emu.api.server.wait_idle()
        self.emu.storage.server.wait_idle()
        with open(os.path.join(self.root, "requests.jsonl")) as f:
            return [json.loads(line) for line in f]


# ---- the API protocol ----------------------------------------------------

class TestApiProtocol(EmulatorCase):

    def test_get_is_refused(self):
        err = self.error("/file/new", method="GET", status=405)
        self.assertTrue(err["message"])

    def test_content_type_must_be_json(self):
        self.error("/file/new", {"project": self.workspace}, status=400, etype="MalformedJSON",
                   headers={"Content-Type": "text/plain"})
        self.ok("/file/new", {"project": self.workspace},
                headers={"Content-Type": "application/json; charset=utf-8"})
        self.ok("/file/new", {"project": self.workspace}, headers={"Content-Type": None})

    def test_invalid_json(self):
        self.error("/file/new", raw="{nope", status=400, etype="MalformedJSON")
        self.error("/file/new", raw="", status=400, etype="MalformedJSON")
        self.error("/file/new", raw="[1]", status=422, etype="InvalidInput")
        self.error("/file/new", raw='{"project": NaN}', status=400, etype="MalformedJSON")

    def test_keep_alive(self):
        fid = self.put_file(b"0123456789")
        dl = self.download(fid)
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.api_port, timeout=10)
        store = http.client.HTTPConnection("127.0.0.1", self.emu.storage_port, timeout=10)
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        for i in range(3):
            conn.request("POST", f"/{fid}/describe", "{}", headers)
            response = conn.getresponse()
            response.read()
            self.assertEqual(response.status, 200)
            store.request("GET", urlsplit(dl["url"]).path, None,
                          {**dl["headers"], "Range": f"bytes={i}-{i}"})
            self.assertEqual(store.getresponse().read(), str(i).encode())
            if i == 0:
                sockets = (conn.sock, store.sock)
        self.assertEqual((conn.sock, store.sock), sockets)
        conn.close()
        store.close()

    def test_token_checks(self):
        self.token
        self.error("/file/new", {}, token=False, status=401, etype="InvalidAuthentication")
        self.error("/file/new", {}, token="not-a-token", status=401, etype="InvalidAuthentication")
        self.error("/file/new", {}, status=401, etype="InvalidAuthentication",
                   headers={"Authorization": "Basic " + self.token})
        self.ok("/file/new", {"project": self.workspace},
                headers={"Authorization": "bearer " + self.token})

    def test_unknown_route_and_object(self):
        self.error("/file-xxxx/describe", status=404, etype="ResourceNotFound")
        self.error("/file/frobnicate", status=404, etype="ResourceNotFound")
        self.error("/file-" + "B" * 24 + "/describe", status=404, etype="ResourceNotFound")
        self.error("/job-" + "B" * 24 + "/describe", status=404, etype="ResourceNotFound")

    def test_request_ids_unique(self):
        ids = {self.call("/file-xxxx/describe")[1]["X-Request-ID"] for _ in range(5)}
        ids.add(self.call("/file/new", method="GET")[1]["X-Request-ID"])
        self.assertEqual(len(ids), 6)

    def test_wrong_types(self):
        fid = self.new_file()
        self.error(f"/{fid}/describe", {"fields": ["parts"]}, status=422, etype="InvalidInput")
        self.error(f"/{fid}/upload", {"index": "1"}, status=422, etype="InvalidInput")
        self.error(f"/{fid}/upload", {"index": 0}, status=422, etype="InvalidInput")
        self.error(f"/{fid}/upload", {"index": 1, "md5": "ABC"}, status=422, etype="InvalidInput")
        self.error("/file/new", {"project": self.workspace, "tags": "x"}, status=422,
                   etype="InvalidInput")

    def test_token_dies_with_its_job(self):
        token = self.token
        self.emu.jobs.terminate_tree(self.sleeper, "test")
        self.error("/file/new", {"project": self.workspace}, token=token, status=401,
                   etype="InvalidAuthentication")

    def test_nonce_deduplication(self):
        body = {"project": self.workspace, "name": "a", "nonce": "n-1"}
        first = self.ok("/file/new", body)
        self.assertEqual(self.ok("/file/new", body), first)
        self.error("/file/new", {**body, "name": "b"}, status=422, etype="InvalidInput")
        files = [o for o in self.emu.state.objects.values() if o["class"] == "file"]
        self.assertEqual(len(files), 1)

    def test_project_and_container_describe(self):
        d = self.ok(f"/{self.project}/describe",
                    {"fields": {"fileUploadParameters": True, "region": True}})
        self.assertEqual(d["fileUploadParameters"], UPLOAD_PARAMS["aws"])
        self.assertEqual(d["region"], "aws:us-east-1")
        self.assertEqual(set(d), {"id", "fileUploadParameters", "region"})
        d = self.ok(f"/{self.workspace}/describe", {})
        self.assertEqual((d["class"], d["level"]), ("container", "CONTRIBUTE"))
        self.assertNotIn("fileUploadParameters", d)
        self.assertEqual(self.ok(f"/{self.project}/describe")["level"], "VIEW")


# ---- files ---------------------------------------------------------------

class TestFiles(EmulatorCase):

    def test_describe_fields(self):
        fid = self.put_file(b"x" * 100, "a.txt")
        d = self.ok(f"/{fid}/describe")
        self.assertEqual((d["class"], d["state"], d["size"], d["name"], d["project"],
                          d["archivalState"]), ("file", "closed", 100, "a.txt", self.project,
                                                "live"))
        self.assertNotIn("parts", d)
        d = self.ok(f"/{fid}/describe", {"fields": {"parts": True}})
        self.assertEqual(set(d), {"id", "parts"})
        self.assertEqual(d["parts"], {"1": {"md5": hashlib.md5(b"x" * 100).hexdigest(),
                                            "size": 100, "state": "complete"}})
        d = self.ok(f"/{fid}/describe", {"fields": {"parts": True}, "defaultFields": True})
        self.assertIn("parts", d)
        self.assertIn("state", d)

    def test_describe_project_hint(self):
        fid = self.put_file(b"abc")
        self.assertEqual(self.ok(f"/{fid}/describe", {"project": self.project})["project"],
                         self.project)
        self.error(f"/{fid}/describe", {"project": self.workspace}, status=404,
                   etype="ResourceNotFound")

    def test_download_requires_project(self):
        fid = self.put_file(b"abc")
        self.error(f"/{fid}/download", {}, status=422, etype="InvalidInput")
        self.error(f"/{fid}/download", {"project": self.workspace}, status=422,
                   etype="InvalidInput")
        self.error(f"/{fid}/download", {"project": "project-" + "B" * 24}, status=404)
        open_file = self.new_file()
        self.error(f"/{open_file}/download", {"project": self.workspace}, status=422,
                   etype="InvalidState")

    def test_download_needs_returned_headers(self):
        fid = self.put_file(b"hello world")
        dl = self.download(fid)
        self.assertGreater(dl["expires"], time.time() * 1000)
        self.assertTrue(dl["headers"])
        status, _, body = self.storage("GET", dl["url"])
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", body)
        wrong = {k: v + "x" for k, v in dl["headers"].items()}
        self.assertEqual(self.storage("GET", dl["url"], wrong)[0], 403)
        status, headers, body = self.storage("GET", dl["url"], dl["headers"])
        self.assertEqual((status, body, headers["Content-Length"]), (200, b"hello world", "11"))
        status, _, body = self.storage("GET", dl["url"], {**dl["headers"],
                                                          "Authorization": "Bearer " + self.token})
        self.assertEqual(status, 400)
        self.assertIn(b"InvalidArgument", body)

    def test_preauthenticated_url(self):
        fid = self.put_file(b"hello")
        dl = self.download(fid, preauthenticated=True, filename="x.txt")
        self.assertEqual(dl["headers"], {})
        self.assertTrue(dl["url"].endswith("/x.txt"))
        self.assertEqual(self.storage("GET", dl["url"])[2], b"hello")

    def test_download_ranges(self):
        data = bytes(range(256)) * 4
        fid = self.put_file(data)
        dl = self.download(fid)
        cases = {"bytes=10-19": (10, 20), "bytes=1000-": (1000, 1024), "bytes=-4": (1020, 1024),
                 "bytes=1020-5000": (1020, 1024)}
        for spec, (a, b) in cases.items():
            status, headers, body = self.storage("GET", dl["url"], {**dl["headers"], "Range": spec})
            self.assertEqual((status, body), (206, data[a:b]), spec)
            self.assertEqual(headers["Content-Range"], f"bytes {a}-{b - 1}/1024")
            self.assertEqual(headers["Content-Length"], str(b - a))
        status, headers, _ = self.storage("GET", dl["url"], {**dl["headers"], "Range": "bytes=1024-"})
        self.assertEqual((status, headers["Content-Range"]), (416, "bytes */1024"))

    def test_client_vanishing_mid_download(self):
        fid = self.put_file(os.urandom(8 * MIB))
        dl = self.download(fid)
        u = urlsplit(dl["url"])
        for _ in range(3):
            with socket.create_connection((u.hostname, u.port), timeout=10) as s:
                head = f"GET {u.path} HTTP/1.1\r\nHost: x\r\n"
                head += "".join(f"{k}: {v}\r\n" for k, v in dl["headers"].items())
                s.sendall(head.encode() + b"\r\n")
                s.recv(1024)
        time.sleep(0.2)
        self.assertEqual(self.storage("GET", dl["url"], {**dl["headers"], "Range": "bytes=0-0"})[0],
                         206)
        self.assertTrue(any(e.get("client_gone") for e in self.log_entries()))

    def test_download_url_expires(self):
        fid = self.put_file(b"hello")
        dl = self.download(fid, duration=1)
        self.assertLessEqual(dl["expires"], time.time() * 1000 + 1100)
        time.sleep(1.1)
        status, _, body = self.storage("GET", dl["url"], dl["headers"])
        self.assertEqual(status, 403)
        self.assertIn(b"expired", body)

    def test_upload_close_download_roundtrip(self):
        fid = self.new_file("out.txt")
        self.assertEqual(self.ok(f"/{fid}/describe")["state"], "open")
        self.upload_part(fid, 1, b"hello\n")
        self.assertEqual(self.ok(f"/{fid}/close"), {"id": fid})
        self.assertEqual(self.ok(f"/{fid}/describe")["state"], "closing")
        self.ok(f"/{fid}/close")
        self.wait_state(fid, "closed")
        dl = self.ok(f"/{fid}/download", {"project": self.workspace})
        self.assertEqual(self.storage("GET", dl["url"], dl["headers"])[2], b"hello\n")
        self.error(f"/{fid}/upload", {"index": 1}, status=422, etype="InvalidState")

    def test_upload_url_single_use(self):
        fid = self.new_file()
        up = self.upload_part(fid, 1, b"abc")
        status, _, body = self.storage("PUT", up["url"], up["headers"], b"abc")
        self.assertEqual(status, 403)
        self.assertIn(b"AccessDenied", body)

    def test_upload_checks_headers_size_md5(self):
        fid = self.new_file()
        data = b"0123456789"
        body = {"index": 1, "size": len(data), "md5": hashlib.md5(data).hexdigest()}
        up = self.ok(f"/{fid}/upload", body)
        self.assertEqual(up["headers"]["content-length"], "10")
        self.assertEqual(up["headers"]["content-md5"],
                         base64.b64encode(hashlib.md5(data).digest()).decode())
        missing = {k: v for k, v in up["headers"].items() if k != "content-md5"}
        self.assertEqual(self.storage("PUT", up["url"], missing, data)[0], 403)
        up = self.ok(f"/{fid}/upload", body)
        status, _, text = self.storage("PUT", up["url"], up["headers"], b"0123456780")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>BadDigest</Code>", text)
        up = self.ok(f"/{fid}/upload", body)
        status, _, _ = self.storage("PUT", up["url"], {**up["headers"], "Content-Type":
                                                       "application/x-www-form-urlencoded"}, data)
        self.assertEqual(status, 403)
        up = self.ok(f"/{fid}/upload", body)
        status, text = self.short_put(up, data[:4])
        self.assertEqual(status, 400)
        self.assertIn(b"IncompleteBody", text)
        self.assertEqual(self.ok(f"/{fid}/describe", {"fields": {"parts": True}})["parts"]["1"],
                         {"state": "pending"})
        self.error(f"/{fid}/close", status=422, etype="InvalidState")

    def short_put(self, up, data):
        """PUT with the declared Content-Length but fewer bytes, then EOF."""
        u = urlsplit(up["url"])
        with socket.create_connection((u.hostname, u.port), timeout=10) as s:
            head = f"PUT {u.path} HTTP/1.1\r\nHost: {u.hostname}\r\n"
            head += "".join(f"{k}: {v}\r\n" for k, v in up["headers"].items())
            s.sendall(head.encode() + b"\r\n" + data)
            s.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        return int(reply.split(b" ", 2)[1]), reply

    def test_reupload_replaces_part(self):
        fid = self.new_file()
        self.upload_part(fid, 1, b"first")
        self.upload_part(fid, 1, b"second")
        self.ok(f"/{fid}/close")
        self.wait_state(fid, "closed")
        self.assertEqual(self.emu.state.get(fid)["size"], 6)
        with open(self.emu.state.file_dir(fid) / "data", "rb") as f:
            self.assertEqual(f.read(), b"second")

    def test_close_rules_aws(self):
        fid = self.new_file()
        err = self.error(f"/{fid}/close", status=422, etype="InvalidState")
        self.assertIn("empty", err["message"])
        self.upload_part(fid, 1, b"")
        self.ok(f"/{fid}/close")
        fid = self.new_file()
        self.upload_part(fid, 1, b"a" * 100)
        self.upload_part(fid, 2, b"b" * 100)
        err = self.error(f"/{fid}/close", status=422, etype="InvalidState")
        self.assertIn("minimumPartSize", err["message"])
        fid = self.new_file()
        self.upload_part(fid, 2, b"b")
        self.error(f"/{fid}/close", status=422, etype="InvalidState")
        fid = self.new_file()
        self.ok(f"/{fid}/upload", {"index": 1})
        self.error(f"/{fid}/close", status=422, etype="InvalidState")

    def test_new_file_permissions_and_folders(self):
        self.error("/file/new", {"project": self.project}, status=401, etype="PermissionDenied")
        self.error("/file/new", {}, status=422, etype="InvalidInput")
        for folder in ("/a", "/a/b"):
            self.error("/file/new", {"project": self.workspace, "folder": folder}, status=404,
                       etype="ResourceNotFound")
        fid = self.ok("/file/new", {"project": self.workspace, "folder": "/a/b",
                                    "parents": True})["id"]
        d = self.ok(f"/{fid}/describe")
        self.assertEqual((d["folder"], d["name"], d["project"]), ("/a/b", fid, self.workspace))


class TestAzureFiles(EmulatorCase):
    upload_params = "azure"

    def test_close_rules_azure(self):
        fid = self.new_file()
        self.ok(f"/{fid}/close")
        self.wait_state(fid, "closed")
        self.assertEqual(self.emu.state.get(fid)["size"], 0)
        fid = self.new_file()
        self.upload_part(fid, 1, b"a")
        self.upload_part(fid, 2, b"")
        err = self.error(f"/{fid}/close", status=422, etype="InvalidState")
        self.assertIn("emptyLastPartAllowed", err["message"])
        self.error(f"/{fid}/upload", {"index": 3, "size": 4 * MIB + 1}, status=422,
                   etype="InvalidInput")
        fid = self.new_file()
        self.upload_part(fid, 1, b"z" * (4 * MIB + 1), declare=False)
        err = self.error(f"/{fid}/close", status=422, etype="InvalidState")
        self.assertIn("maximumPartSize", err["message"])


class TestSmallParts(EmulatorCase):
    min_part_size = 10

    def test_multipart_and_no_md5(self):
        fid = self.put_file(os.urandom(25), part_size=10, md5=False)
        parts = self.ok(f"/{fid}/describe", {"fields": {"parts": True}})["parts"]
        self.assertEqual([parts[k]["size"] for k in sorted(parts, key=int)], [10, 10, 5])
        self.assertNotIn("md5", parts["1"])
        with self.assertRaises(ValueError):
            self.put_file(b"x" * 25, part_size=5)

    def test_min_part_size_override(self):
        fid = self.new_file()
        self.upload_part(fid, 1, b"a" * 10)
        self.upload_part(fid, 2, b"b" * 3)
        self.ok(f"/{fid}/close")
        self.wait_state(fid, "closed")
        with open(self.emu.state.file_dir(fid) / "data", "rb") as f:
            self.assertEqual(f.read(), b"a" * 10 + b"b" * 3)


# ---- faults ----------------------------------------------------------------

class TestFaults(EmulatorCase):

    def test_status_retry_after_count_skip(self):
        self.token
        self.with_faults([{"server": "api", "route": "/file-*/describe", "status": 503,
                           "retry_after": 7, "skip": 1, "count": 2}])
        fid = self.put_file(b"x")
        statuses = [self.call(f"/{fid}/describe")[:2] for _ in range(4)]
        self.assertEqual([s for s, _ in statuses], [200, 503, 503, 200])
        self.assertEqual(statuses[1][1]["Retry-After"], "7")
        faulted = [e for e in self.log_entries() if e.get("fault")]
        self.assertEqual([e["status"] for e in faulted], [503, 503])
        self.assertEqual(faulted[0]["fault"]["action"], "status")

    def test_status_default_body(self):
        self.token
        self.with_faults([{"server": "api", "route": "/file/new", "status": 429}])
        err = self.error("/file/new", {"project": self.workspace}, status=429)
        self.assertEqual(err["type"], "RateLimitConditional")

    def test_drop_before(self):
        self.token
        self.with_faults([{"server": "api", "route": "/file/new", "drop": "before"}])
        with self.assertRaises(http.client.RemoteDisconnected):
            self.call("/file/new", {"project": self.workspace})
        self.assertFalse([o for o in self.emu.state.objects.values() if o["class"] == "file"])

    def test_drop_after_and_nonce(self):
        self.token
        self.with_faults([{"server": "api", "route": "/file/new", "drop": "after"}])
        body = {"project": self.workspace, "name": "x", "nonce": "retry-me"}
        with self.assertRaises(http.client.RemoteDisconnected):
            self.call("/file/new", body)
        files = [o["id"] for o in self.emu.state.objects.values() if o["class"] == "file"]
        self.assertEqual(len(files), 1)
        self.assertEqual(self.ok("/file/new", body)["id"], files[0])

    def test_delay_and_file_glob(self):
        self.token
        self.with_faults([{"server": "api", "route": "/file-*/describe", "file": "*.bam",
                           "delay": 0.8, "count": "all"}])
        bam, txt = self.put_file(b"b", "x.bam"), self.put_file(b"t", "x.txt")
        start = time.time()
        self.ok(f"/{txt}/describe")
        self.assertLess(time.time() - start, 0.6)
        start = time.time()
        self.ok(f"/{bam}/describe")
        self.assertGreaterEqual(time.time() - start, 0.8)

    def test_download_drop_after_bytes(self):
        fid = self.put_file(b"a" * 5000)
        self.with_faults([{"server": "storage", "op": "download", "drop_after_bytes": 100}])
        dl = self.download(fid)
        with self.assertRaises(http.client.IncompleteRead):
            self.storage("GET", dl["url"], dl["headers"])
        self.assertEqual(self.storage("GET", dl["url"], dl["headers"])[2], b"a" * 5000)

    def test_download_corrupt_and_expire(self):
        data = os.urandom(4000)
        fid = self.put_file(data)
        self.with_faults([{"server": "storage", "op": "download", "corrupt": True},
                          {"server": "storage", "op": "download", "expire": True, "skip": 1}])
        dl = self.download(fid)
        status, _, body = self.storage("GET", dl["url"], dl["headers"])
        self.assertEqual((status, len(body)), (200, 4000))
        self.assertNotEqual(body, data)
        self.assertEqual(sum(a != b for a, b in zip(body, data)), 1)
        status, _, body = self.storage("GET", dl["url"], dl["headers"])
        self.assertEqual(status, 403)
        self.assertEqual(self.storage("GET", dl["url"], dl["headers"])[2], data)

    def test_upload_faults(self):
        fid = self.new_file()
        self.with_faults([{"server": "storage", "op": "upload", "status": 400},
                          {"server": "storage", "op": "upload", "drop": "before", "skip": 1}])
        up = self.ok(f"/{fid}/upload", {"index": 1, "size": 3,
                                        "md5": hashlib.md5(b"abc").hexdigest()})
        status, _, body = self.storage("PUT", up["url"], up["headers"], b"abc")
        self.assertEqual(status, 400)
        self.assertIn(b"<Code>RequestTimeout</Code>", body)
        up = self.ok(f"/{fid}/upload", {"index": 1, "size": 3,
                                        "md5": hashlib.md5(b"abc").hexdigest()})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.storage("PUT", up["url"], up["headers"], b"abc")
        self.upload_part(fid, 1, b"abc")
        self.ok(f"/{fid}/close")

    def test_closing_seconds_and_never_close(self):
        self.with_faults([{"server": "api", "route": "/file-*/close", "closing_seconds": 1.5},
                          {"server": "api", "route": "/file-*/close", "never_close": True,
                           "skip": 1}])
        slow, never = self.new_file(), self.new_file()
        for fid in (slow, never):
            self.upload_part(fid, 1, b"x")
        start = time.time()
        self.ok(f"/{slow}/close")
        self.ok(f"/{never}/close")
        time.sleep(0.5)
        self.assertEqual(self.ok(f"/{slow}/describe")["state"], "closing")
        self.wait_state(slow, "closed")
        self.assertGreaterEqual(time.time() - start, 1.5)
        self.assertEqual(self.ok(f"/{never}/describe")["state"], "closing")

    def test_rule_validation(self):
        bad = [[{"route": "/x", "status": 500}],
               [{"server": "api", "status": 500, "drop": "before"}],
               [{"server": "api", "corrupt": True}],
               [{"server": "storage", "op": "download", "drop": "after"}],
               [{"server": "api", "status": 503, "colour": "red"}],
               [{"server": "api"}]]
        for rules in bad:
            with self.assertRaises(FaultError, msg=rules):
                FaultSet(rules)


# ---- the request log -----------------------------------------------------

class TestRequestLog(EmulatorCase):

    def test_log_never_holds_the_token(self):
        fid = self.put_file(b"secret data")
        self.ok(f"/{fid}/describe")
        self.error("/file/new", {}, token=self.token + "x", status=401)
        self.call("/file/new", raw="{bad", headers={"Authorization": "bearer " + self.token})
        dl = self.download(fid)
        self.storage("GET", dl["url"], {**dl["headers"], "Authorization": "Bearer " + self.token})
        self.storage("GET", dl["url"], {**dl["headers"], "Range": "bytes=0-3"})
        entries = self.log_entries()
        self.assertTrue(any(e["server"] == "storage" and e["range"] == "bytes=0-3"
                            for e in entries))
        self.assertTrue(all(e["x-request-id"] for e in entries))
        api = [e for e in entries if e["server"] == "api"]
        self.assertEqual(api[0]["headers"]["authorization"], {"present": True, "scheme": "Bearer"})
        self.assertEqual(api[0]["job"], self.sleeper)
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                with open(os.path.join(dirpath, name), "rb") as f:
                    self.assertNotIn(self.token.encode(), f.read(), name)


# ---- jobs ------------------------------------------------------------------

ENV_DUMP = """
main() {
    python3 - <<'PY'
import json, os
env = {k: v for k, v in os.environ.items() if k != "DX_SECURITY_CONTEXT"}
ctx = json.loads(os.environ["DX_SECURITY_CONTEXT"])
env["ctx_keys"] = sorted(ctx)
env["ctx_type"] = ctx["auth_token_type"]
env["cwd"] = os.getcwd()
env["home_files"] = sorted(os.listdir(os.environ["HOME"]))
json.dump(env, open("env.json", "w"))
json.dump({}, open("job_output.json", "w"))
PY
}
"""


class TestJobs(EmulatorCase):

    def home(self, jid):
        return self.emu.state.job_dir(jid) / "home"

    def test_environment_and_home(self):
        os.environ["DXEMU_TEST_LEAK"] = "1"
        try:
            d = self.run_applet("envdump", ENV_DUMP, {"x": 1})
        finally:
            del os.environ["DXEMU_TEST_LEAK"]
        self.assertEqual(d["state"], "done", d)
        with open(self.home(d["id"]) / "env.json") as f:
            env = json.load(f)
        home = str(self.home(d["id"]))
        self.assertEqual((env["HOME"], env["cwd"]), (home, home))
        self.assertEqual(env["DX_JOB_ID"], d["id"])
        self.assertEqual(env["DX_WORKSPACE_ID"], d["workspace"])
        self.assertEqual(env["DX_PROJECT_CONTEXT_ID"], self.project)
        self.assertEqual((env["DX_APISERVER_PROTOCOL"], env["DX_APISERVER_HOST"],
                          env["DX_APISERVER_PORT"]), ("http", "127.0.0.1", str(self.emu.api_port)))
        self.assertEqual((env["ctx_keys"], env["ctx_type"]), (["auth_token", "auth_token_type"],
                                                              "Bearer"))
        self.assertTrue(env["PATH"].split(":")[1].endswith("envdump/resources/usr/bin"))
        self.assertEqual(env["PATH"].split(":")[3], os.path.join(HERE, "bin"))
        self.assertNotIn("DXEMU_TEST_LEAK", env)
        self.assertIn("job_input.json", env["home_files"])
        self.assertIn("dnanexus-job.json", env["home_files"])
        self.assertIn("environment", env["home_files"])
        with open(self.home(d["id"]) / "job_input.json") as f:
            self.assertEqual(json.load(f), {"x": 1})
        self.assertTrue(d["workspace"].startswith("container-"))

    def test_job_log(self):
        d = self.run_applet("logger", 'echo "to stdout"\nmain() { echo "to stderr" >&2; }\n')
        with open(self.emu.state.job_dir(d["id"]) / "log") as f:
            self.assertEqual(f.read(), "to stdout\nto stderr\n")

    def test_app_error(self):
        d = self.run_applet("apperr", """
            main() {
                echo '{"error": {"type": "AppError", "message": "bad input!"}}' > job_error.json
                exit 1
            }""")
        self.assertEqual((d["state"], d["failureReason"], d["failureMessage"]),
                         ("failed", "AppError", "bad input!"))
        self.assertEqual(d["failureFrom"]["id"], d["id"])

    def test_exit_without_error_file(self):
        d = self.run_applet("crash", "main() { false; echo not reached; }\n")
        self.assertEqual((d["state"], d["failureReason"]), ("failed", "AppInternalError"))
        self.assertIn("job log", d["failureMessage"])

    def test_exit_zero_with_error_file_fails(self):
        d = self.run_applet("zeroerr", """
            main() {
                echo '{"error": {"type": "AppInternalError", "message": "oops"}}' > job_error.json
                echo '{}' > job_output.json
            }""")
        self.assertEqual((d["state"], d["failureMessage"]), ("failed", "oops"))

    def test_output_spec_enforced(self):
        spec = [{"name": "n", "class": "int"}]
        cases = {'{}': "required", '{"n": "3"}': "class", '{"n": 3, "m": 1}': "outputSpec",
                 'not json': "could not be"}
        for i, (out, word) in enumerate(cases.items()):
            d = self.run_applet(f"out{i}", f"main() {{ echo '{out}' > job_output.json; }}\n",
                                output_spec=spec)
            self.assertEqual((d["state"], d["failureReason"]), ("failed", "OutputError"), out)
            self.assertIn(word, d["failureMessage"])
        d = self.run_applet("outok", "main() { echo '{\"n\": 3}' > job_output.json; }\n",
                            output_spec=spec)
        self.assertEqual((d["state"], d["output"]), ("done", {"n": 3}))

    def test_open_output_fails_closing_output_waits(self):
        spec = [{"name": "f", "class": "file"}]
        d = self.run_applet("openout", """
            main() {
                f=$(dxcall /file/new "{\\"project\\": \\"$DX_WORKSPACE_ID\\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
                echo "{\\"f\\": {\\"\\$dnanexus_link\\": \\"$f\\"}}" > job_output.json
            }""", output_spec=spec)
        self.assertEqual((d["state"], d["failureReason"]), ("failed", "OutputError"))
        self.assertIn("open", d["failureMessage"])
        d = self.run_applet("closingout", """
            main() {
                f=$(dxcall upload out.txt hello)
                echo "{\\"f\\": {\\"\\$dnanexus_link\\": \\"$f\\"}}" > job_output.json
            }""", output_spec=spec)
        self.assertEqual(d["state"], "done", d)
        f = self.emu.state.get(d["output"]["f"]["$dnanexus_link"])
        self.assertEqual(f["state"], "closed")
        self.assertIn(self.project, f["containers"])

    def test_input_validation(self):
        spec = [{"name": "f", "class": "file"},
                {"name": "mode", "class": "string", "choices": ["a", "b"], "default": "a"},
                {"name": "n", "class": "int", "optional": True}]
        applet = self.applet("validated", "main() { :; }\n", input_spec=spec)
        fid = self.put_file(b"x")
        check = self.emu.start_job
        bad = [{}, {"f": fid}, {"f": link(fid), "n": 1.5}, {"f": link(fid), "mode": "c"},
               {"f": link(fid), "other": 1}, {"f": link("file-" + "B" * 24)},
               {"f": {"$dnanexus_link": {"project": self.workspace, "id": fid}}}]
        for given in bad:
            with self.assertRaises(SpecError, msg=given):
                check(applet, given)
        open_file = self.ok("/file/new", {"project": self.workspace})["id"]
        self.emu.files.clone(open_file, self.project)
        with self.assertRaises(SpecError):
            check(applet, {"f": link(open_file)})
        jid = check(applet, {"f": {"$dnanexus_link": {"project": self.project, "id": fid}}})
        self.emu.jobs.wait(jid)
        self.assertEqual(self.emu.state.get(jid)["input"]["mode"], "a")
        self.assertNotIn("n", self.emu.state.get(jid)["input"])

    def test_timeout(self):
        start = time.time()
        d = self.run_applet("slow", "main() { sleep 30; }\n", timeout=0.5)
        self.assertEqual((d["state"], d["failureReason"]), ("failed", "JobTimeoutExceeded"))
        self.assertLess(time.time() - start, 10)

    def test_subjobs_and_jbors(self):
        code = """
            main() {
                a=$(dxcall newjob part '{"x": 1}')
                b=$(dxcall newjob part '{"x": 2}')
                g=$(dxcall newjob gather "{\\"vals\\": [{\\"\\$dnanexus_link\\": {\\"job\\": \\"$a\\", \\"field\\": \\"y\\"}}, {\\"job\\": \\"$b\\", \\"field\\": \\"y\\"}], \\"second\\": {\\"\\$dnanexus_link\\": {\\"job\\": \\"$b\\", \\"field\\": \\"arr\\", \\"index\\": 1}}}")
                echo "{\\"total\\": {\\"\\$dnanexus_link\\": {\\"job\\": \\"$g\\", \\"field\\": \\"total\\"}}, \\"f\\": {\\"job\\": \\"$a\\", \\"field\\": \\"f\\"}}" > job_output.json
            }
            part() {
                x=$(python3 -c 'import json; print(json.load(open("job_input.json"))["x"])')
                f=$(dxcall upload "part$x.txt" "part $x")
                echo "{\\"y\\": $((x * 10)), \\"arr\\": [0, $((x * 100))], \\"f\\": {\\"\\$dnanexus_link\\": \\"$f\\"}}" > job_output.json
            }
            gather() {
                python3 -c 'import json; i = json.load(open("job_input.json")); json.dump({"total": sum(i["vals"]) + i["second"]}, open("job_output.json", "w"))'
            }
            """
        d = self.run_applet("tree", code, output_spec=[{"name": "total", "class": "int"},
                                                       {"name": "f", "class": "file"}])
        self.assertEqual(d["state"], "done", d)
        self.assertEqual(d["output"]["total"], 230)
        states = [t["newState"] for t in d["stateTransitions"]]
        self.assertEqual(states[-2:], ["waiting_on_output", "done"])
        jobs = [o for o in self.emu.state.objects.values() if o["class"] == "job"]
        gather = next(j for j in jobs if j["function"] == "gather")
        self.assertEqual(gather["input"], {"vals": [10, 20], "second": 200})
        with open(self.emu.state.job_dir(gather["id"]) / "home" / "job_input.json") as f:
            self.assertEqual(json.load(f), gather["input"])
        self.assertEqual({j["workspace"] for j in jobs}, {d["workspace"]})
        self.assertEqual(gather["parentJob"], d["id"])
        self.assertEqual(gather["name"], "tree:gather")
        fid = d["output"]["f"]["$dnanexus_link"]
        self.assertIn(self.project, self.emu.state.get(fid)["containers"])

    def test_failure_propagates(self):
        code = """
            main() {
                dxcall newjob slow '{}' > /dev/null
                dxcall newjob bad '{}' > /dev/null
            }
            bad() {
                echo '{"error": {"type": "AppError", "message": "no good"}}' > job_error.json
                exit 1
            }
            slow() { sleep 30; }
            """
        start = time.time()
        d = self.run_applet("failing", code)
        self.assertLess(time.time() - start, 10)
        self.assertEqual((d["state"], d["failureReason"], d["failureMessage"]),
                         ("failed", "AppError", "no good"))
        jobs = {o["function"]: o for o in self.emu.state.objects.values() if o["class"] == "job"}
        self.assertEqual(d["failureFrom"]["id"], jobs["bad"]["id"])
        self.assertEqual((jobs["slow"]["state"], jobs["slow"]["failureReason"]),
                         ("failed", "JobTreeFailure"))

    def test_depends_on_and_job_nonce(self):
        self.with_faults([{"server": "api", "route": "/job/new", "drop": "after"}])
        code = """
            main() {
                python3 - <<'PY'
import http.client, json, os, subprocess
ctx = json.loads(os.environ["DX_SECURITY_CONTEXT"])
body = json.dumps({"function": "first", "input": {}, "nonce": "same-nonce"})
def post():
    c = http.client.HTTPConnection("127.0.0.1", int(os.environ["DX_APISERVER_PORT"]))
    c.request("POST", "/job/new", body, {"Authorization": "Bearer " + ctx["auth_token"],
                                         "Content-Type": "application/json"})
    return json.loads(c.getresponse().read())["id"]
try:
    post()
    raise SystemExit("the response should have been dropped")
except http.client.RemoteDisconnected:
    pass
first = post()
second = subprocess.check_output(["dxcall", "newjob", "second", "{}", json.dumps([first])], text=True).strip()
json.dump({"order": {"$dnanexus_link": {"job": second, "field": "order"}}}, open("job_output.json", "w"))
PY
}
            first() { sleep 0.3; echo '{}' > job_output.json; }
            second() { echo '{"order": "second ran"}' > job_output.json; }
            """
        d = self.run_applet("deps", code)
        self.assertEqual((d["state"], d["output"]), ("done", {"order": "second ran"}), d)
        jobs = [o for o in self.emu.state.objects.values() if o["class"] == "job"]
        self.assertEqual(sorted(j["function"] for j in jobs), ["first", "main", "second"])
        first = next(j for j in jobs if j["function"] == "first")
        second = next(j for j in jobs if j["function"] == "second")
        self.assertLessEqual(first["stoppedRunning"], second["startedRunning"])


# ---- the worker: input variables and the dx-toolkit subset ----------------

DX_BIN = os.path.join(HERE, "bin")


def nul_split(path):
    """The values a `printf '%s\\0'` dump wrote."""
    with open(path, "rb") as f:
        return f.read().decode().split("\0")[:-1]


INPUT_VARS = r"""
    echo "$n|$s" > global.txt
    main() {
        dump() { printf '%s\0' "$@"; }
        dump "$f" "$f_name" "$f_prefix" "$f_path" > f.bin
        dump "$g" "$g_name" "$g_prefix" "$g_path" > g.bin
        dump "$odd" "$odd_name" "$odd_prefix" "$odd_path" > odd.bin
        dump "$n" "$x" "$b" "$s" "$h" "$PATH" "$HOME" > scalars.bin
        dump "${arr[@]}" > arr.bin
        dump "${arr_name[@]}" > arr_name.bin
        dump "${arr_prefix[@]}" > arr_prefix.bin
        dump "${arr_path[@]}" > arr_path.bin
        dump "${strs[@]}" > strs.bin
        echo "${#empty[@]} ${opt-unset} ${#strs[@]} ${#arr[@]}" > counts.txt
        python3 -c 'import os; print([k for k in ("n", "s", "f", "f_name") if k in os.environ])' \
            > exported.txt
    }
"""


class TestInputVariables(EmulatorCase):

    def import_file(self, data, name):
        path = os.path.join(self.tmp, f"local-{len(os.listdir(self.tmp))}")
        with open(path, "wb") as f:
            f.write(data)
        return self.emu.files.import_local(path, name, self.project, "/", 64 * MIB, True)

    def test_input_variables(self):
        spec = [{"name": "f", "class": "file", "patterns": ["*.bam", "*.sorted.bam", "x??.bam"]},
                {"name": "g", "class": "file"},
                {"name": "odd", "class": "file", "patterns": ["*.txt"]},
                {"name": "arr", "class": "array:file", "patterns": ["*.vcf.gz"]},
                {"name": "n", "class": "int"}, {"name": "x", "class": "float"},
                {"name": "b", "class": "boolean"}, {"name": "s", "class": "string"},
                {"name": "h", "class": "hash"}, {"name": "strs", "class": "array:string"},
                {"name": "empty", "class": "array:int"},
                {"name": "opt", "class": "string", "optional": True},
                {"name": "PATH", "class": "string"}]
        odd_name = 'it\'s a "$HOME" `x` file/v1.txt'
        f = self.import_file(b"bam", "sample.sorted.bam")
        g = self.import_file(b"fq", "reads.fastq.gz")
        odd = self.import_file(b"odd", odd_name)
        arr_names = [f"s{i}.vcf.gz" for i in range(10)] + ["s 10.vcf.gz"]
        arr = [self.import_file(b"v", name) for name in arr_names]
        s = 'it\'s $HOME `date` "q"\nline2 \\ end'
        given = {"f": link(f), "g": {"$dnanexus_link": {"project": self.project, "id": g}},
                 "odd": link(odd), "arr": [link(a) for a in arr], "n": 5, "x": 0.5, "b": True,
                 "s": s, "h": {"a": [1, "x"], "b": None}, "strs": ["a b", "$c", ""],
                 "empty": [], "PATH": "evil"}
        d = self.run_applet("vars", INPUT_VARS, given, input_spec=spec)
        self.assertEqual(d["state"], "done", d)
        home = str(self.emu.state.job_dir(d["id"]) / "home")
        inp = os.path.join(home, "in")
        out = lambda name: os.path.join(home, name)  # noqa: E731
        self.assertEqual(nul_split(out("f.bin")), [json.dumps(link(f)), "sample.sorted.bam",
                                                   "sample", f"{inp}/f/sample.sorted.bam"])
        self.assertEqual(nul_split(out("g.bin")), [json.dumps(link(g)), "reads.fastq.gz",
                                                   "reads", f"{inp}/g/reads.fastq.gz"])
        unix = odd_name.replace("/", "%2F")
        self.assertEqual(nul_split(out("odd.bin")), [json.dumps(link(odd)), unix, unix[:-4],
                                                     f"{inp}/odd/{unix}"])
        scalars = nul_split(out("scalars.bin"))
        self.assertEqual(scalars[:5], ["5", "0.5", "true", s, '{"a": [1, "x"], "b": null}'])
        self.assertTrue(scalars[5].startswith(os.path.join(self.tmp, "vars", "resources")))
        self.assertEqual(scalars[6], home)
        self.assertEqual(nul_split(out("arr.bin")), [json.dumps(link(a)) for a in arr])
        self.assertEqual(nul_split(out("arr_name.bin")), arr_names)
        self.assertEqual(nul_split(out("arr_prefix.bin")), [n[:-7] for n in arr_names])
        self.assertEqual(nul_split(out("arr_path.bin")),
                         [f"{inp}/arr/{i:02d}/{n}" for i, n in enumerate(arr_names)])
        self.assertEqual(nul_split(out("strs.bin")), ["a b", "$c", ""])
        with open(out("counts.txt")) as fh:
            self.assertEqual(fh.read(), "0 unset 3 11\n")
        with open(out("global.txt")) as fh:
            self.assertEqual(fh.read(), f"5|{s}\n")
        with open(out("exported.txt")) as fh:
            self.assertEqual(fh.read(), "[]\n")  # plain shell variables, as dxpy's harness
        with open(self.emu.state.job_dir(d["id"]) / "log") as fh:
            self.assertIn("(PATH) would cause a name collision", fh.read())

    def test_raw_input_variables(self):
        code = r"""
            main() {
                printf '%s\0' "$f" "$f_name" "$f_prefix" "$s" "$missing" > vars.bin
                cp job_input.json seen.json
            }"""
        applet = self.applet("raw", code)
        fid = self.import_file(b"x", "a b.txt")
        cases = {"object": json.dumps({
                     "f": {"$dnanexus_link": {"project": self.project, "id": fid}},
                     "bad-name": 1, "s": "x y", "missing": link("file-" + "B" * 24)}),
                 "malformed": "{not json", "array": "[1, 2]"}
        homes = {}
        for case, text in cases.items():
            path = os.path.join(self.tmp, f"raw-{case}.json")
            with open(path, "w") as fh:
                fh.write(text)
            jid = self.emu.start_job(applet, raw_input=path)
            self.emu.jobs.wait(jid)
            self.assertEqual(self.emu.state.get(jid)["state"], "done", case)
            homes[case] = self.emu.state.job_dir(jid) / "home"
            with open(homes[case] / "seen.json") as fh:
                self.assertEqual(fh.read(), text, case)
        self.assertEqual(nul_split(homes["object"] / "vars.bin"),
                         [json.dumps(link(fid)), "a b.txt", "a b", "x y",
                          json.dumps(link("file-" + "B" * 24))])
        with open(homes["object"].parent / "log") as fh:
            self.assertIn("'bad-name' is not a usable bash variable name", fh.read())
        for case in ("malformed", "array"):
            with open(homes[case] / "environment") as fh:
                self.assertEqual([ln for ln in fh if not ln.startswith("#")], [], case)
            self.assertEqual(nul_split(homes[case] / "vars.bin"), [""] * 5)


class TestWorkerTools(EmulatorCase):
    min_part_size = 1024

    def job_entries(self, jid):
        return [e for e in self.log_entries() if e.get("job") == jid]

    def test_download_upload_roundtrip(self):
        data = os.urandom(5000)
        fid = self.put_file(data, "data.bin", part_size=1024)
        code = r"""
            main() {
                set -o pipefail
                dx download "$f"
                mkdir sub && dx download "$f" -o sub/
                dx download "$DX_PROJECT_CONTEXT_ID:$fid" -o copy2.bin
                dx download "$fid" -o - > copy3.bin
                if dx download "$fid" -o copy2.bin 2> refused.txt; then
                    echo overwrote > refused.txt
                fi
                dx download "$fid" -o copy2.bin -f
                up=$(dx upload --brief --buffer-size 1024 -p \
                     --destination "/res/out name.bin" copy2.bin)
                : > empty.txt
                e=$(dx upload --brief empty.txt)
                s=$(printf 'from stdin' | dx upload --brief - --destination stdin.txt)
                dx describe "$up" --name > name.txt
                dx-jobutil-add-output copy "$up" --class=file
                dx-jobutil-add-output empty "$e"
                dx-jobutil-add-output stdin "$s" --class file
                dx-jobutil-add-output n 42 --class=int
                dx-jobutil-add-output words "a b" --class=array:string
                dx-jobutil-add-output words c --array
                dx-jobutil-add-output auto_hash '{"k": 1}'
                dx-jobutil-add-output text "plain words"
            }"""
        d = self.run_applet("tools", code, {"f": link(fid), "fid": fid},
                            input_spec=[{"name": "f", "class": "file"},
                                        {"name": "fid", "class": "string"}])
        self.assertEqual(d["state"], "done", d)
        home = self.emu.state.job_dir(d["id"]) / "home"
        for name in ("data.bin", "sub/data.bin", "copy2.bin", "copy3.bin"):
            with open(home / name, "rb") as fh:
                self.assertEqual(fh.read(), data, name)
        with open(home / "refused.txt") as fh:
            self.assertIn("already exists", fh.read())
        with open(home / "name.txt") as fh:
            self.assertEqual(fh.read(), "out name.bin\n")
        out = d["output"]
        self.assertEqual({k: out[k] for k in ("n", "words", "auto_hash", "text")},
                         {"n": 42, "words": ["a b", "c"], "auto_hash": {"k": 1},
                          "text": "plain words"})
        copy = self.emu.state.get(out["copy"]["$dnanexus_link"])
        self.assertEqual((copy["state"], copy["name"], copy["containers"][d["workspace"]]),
                         ("closed", "out name.bin", "/res"))
        self.assertEqual([copy["parts"][str(i)]["size"] for i in range(1, 6)],
                         [1024] * 4 + [904])
        with open(self.emu.state.file_dir(copy["id"]) / "data", "rb") as fh:
            self.assertEqual(fh.read(), data)
        empty = self.emu.state.get(out["empty"]["$dnanexus_link"])
        self.assertEqual((empty["state"], list(empty["parts"]), empty["parts"]["1"]["size"]),
                         ("closed", ["1"], 0))
        with open(self.emu.state.file_dir(out["stdin"]["$dnanexus_link"]) / "data", "rb") as fh:
            self.assertEqual(fh.read(), b"from stdin")
        # As a real client: the token on API calls only; storage requests
        # carry exactly the returned headers (no Content-Type on PUTs), a
        # fresh /upload URL per PUT, a project on every /download, nonces.
        entries = self.job_entries(d["id"])
        api = [e for e in entries if e["server"] == "api"]
        storage = [e for e in entries if e["server"] == "storage"]
        self.assertTrue(all(e["headers"]["authorization"] == {"present": True, "scheme": "Bearer"}
                            and e["headers"]["content-type"] == "application/json"
                            and e["status"] == 200 for e in api))
        self.assertTrue(all("authorization" not in e["headers"] for e in storage))
        puts = [e for e in storage if e["route"] == "upload"]
        self.assertTrue(puts and all("content-type" not in e["headers"] for e in puts))
        self.assertEqual(len([e for e in api if e["path"].endswith("/upload")]), len(puts))
        self.assertEqual(len(puts), 5 + 1 + 1)
        downloads = [e for e in api if e["path"].endswith("/download")]
        self.assertTrue(downloads and all(e["body"].get("project") for e in downloads))
        self.assertTrue(all(e["body"].get("nonce") for e in api if e["path"] == "/file/new"))
        token = self.emu.jobs.job_tokens[d["id"]].encode()
        for dirpath, _, names in os.walk(self.root):
            for name in names:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    self.assertNotIn(token, fh.read(), name)

    def test_download_checks_md5_per_part(self):
        data = os.urandom(3000)
        fid = self.put_file(data, "data.bin", part_size=1024)
        self.with_faults([{"server": "storage", "op": "download", "corrupt": True}])
        code = 'main() { dx download "$f" -o x.bin; }\n'
        spec = [{"name": "f", "class": "file"}]
        d = self.run_applet("retry", code, {"f": link(fid)}, input_spec=spec)
        self.assertEqual(d["state"], "done", d)
        with open(self.emu.state.job_dir(d["id"]) / "home" / "x.bin", "rb") as fh:
            self.assertEqual(fh.read(), data)
        with open(self.emu.state.job_dir(d["id"]) / "log") as fh:
            self.assertIn("does not match", fh.read())
        self.with_faults([{"server": "storage", "op": "download", "corrupt": True,
                           "count": "all"}])
        code = r"""
            main() {
                if dx download "$f" -o y.bin 2> err.txt; then echo ok > result.txt
                else echo "failed $?" > result.txt; fi
                [ ! -e y.bin ] || echo leftover >> result.txt
            }"""
        d = self.run_applet("corrupt", code, {"f": link(fid)}, input_spec=spec)
        home = self.emu.state.job_dir(d["id"]) / "home"
        with open(home / "result.txt") as fh:
            self.assertEqual(fh.read(), "failed 3\n")
        with open(home / "err.txt") as fh:
            self.assertIn("md5", fh.read())

    def test_upload_retries_with_fresh_urls(self):
        self.with_faults([{"server": "storage", "op": "upload", "status": 500},
                          {"server": "api", "route": "/file-*/describe", "status": 503,
                           "retry_after": 1}])
        d = self.run_applet("upretry", r"""
            main() {
                echo hello > x.txt
                dx-jobutil-add-output f "$(dx upload --brief x.txt)" --class=file
            }""", output_spec=[{"name": "f", "class": "file"}])
        self.assertEqual(d["state"], "done", d)
        fid = d["output"]["f"]["$dnanexus_link"]
        with open(self.emu.state.file_dir(fid) / "data", "rb") as fh:
            self.assertEqual(fh.read(), b"hello\n")
        entries = self.job_entries(d["id"])
        self.assertEqual(len([e for e in entries if e["path"] == f"/{fid}/upload"]), 2)
        self.assertEqual([e["status"] for e in entries if e.get("route") == "upload"], [500, 200])

    def test_applet_tools_come_first_on_path(self):
        adir = make_applet(self.tmp, "own", r"""
            main() {
                dx describe anything > which.txt
                command -v dx-jobutil-add-output >> which.txt
            }""")
        own = os.path.join(adir, "resources", "usr", "bin", "dx")
        with open(own, "w") as fh:
            fh.write("#!/bin/sh\necho \"applet's own dx\"\n")
        os.chmod(own, 0o755)
        d = self.emu.run(self.emu.build(adir), {})
        with open(self.emu.state.job_dir(d["id"]) / "home" / "which.txt") as fh:
            self.assertEqual(fh.read(), f"applet's own dx\n{DX_BIN}/dx-jobutil-add-output\n")

    def test_report_error(self):
        d = self.run_applet("err1", 'main() { dx-jobutil-report-error "bad input!"; echo no; }\n')
        self.assertEqual((d["state"], d["failureReason"], d["failureMessage"]),
                         ("failed", "AppError", "bad input!"))
        d = self.run_applet("err2",
                            'main() { dx-jobutil-report-error "a bug" AppInternalError; }\n')
        self.assertEqual((d["failureReason"], d["failureMessage"]), ("AppInternalError", "a bug"))

    def test_add_output_classes(self):
        out = os.path.join(self.tmp, "job_output.json")

        def add(*args):
            return subprocess.run([os.path.join(DX_BIN, "dx-jobutil-add-output"), *args,
                                   "-o", out], capture_output=True, text=True).returncode

        job, fid = "job-" + "B" * 24, "file-" + "F" * 24
        self.assertEqual([add("a", fid), add("b", f"{job}:out"), add("c", "true"),
                          add("d", "3", "--class", "float"), add("e", fid, "--class", "file"),
                          add("g", f"analysis-{'A' * 24}:x", "--class", "analysisref"),
                          add("h", "1", "--class", "array:int"), add("h", "2", "--array"),
                          add("i", "TRUE", "--class", "boolean")], [0] * 9)
        with open(out) as fh:
            self.assertEqual(json.load(fh), {
                "a": link(fid), "b": {"job": job, "field": "out"}, "c": True, "d": 3.0,
                "e": link(fid), "g": {"$dnanexus_link": {"analysis": "analysis-" + "A" * 24,
                                                         "field": "x"}},
                "h": [1, 2], "i": True})
        self.assertEqual([add("x", "1.5", "--class", "int"),
                          add("x", "maybe", "--class", "boolean"),
                          add("x", "not a link", "--class", "file"), add("a", "1", "--array"),
                          add("x", "nojob:field", "--class", "jobref")], [3] * 5)

    def test_dx_outside_a_job(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")}
        r = subprocess.run([os.path.join(DX_BIN, "dx"), "describe", "file-" + "F" * 24],
                           capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 3)
        self.assertIn("DX_SECURITY_CONTEXT", r.stderr)


# ---- workflows and the command line ---------------------------------------

class TestWorkflowAndCli(EmulatorCase):

    def dxemu(self, *args):
        return subprocess.run([sys.executable, DXEMU, *args], capture_output=True, text=True,
                              timeout=60)

    def test_two_stage_workflow(self):
        from workflow import load_workflow, run_workflow
        make = self.applet("make", """
            main() {
                n=$(python3 -c 'import json; print(json.load(open("job_input.json"))["n"])')
                f=$(dxcall upload made.txt "made $n")
                echo "{\\"m\\": $((n + 1)), \\"f\\": {\\"\\$dnanexus_link\\": \\"$f\\"}}" > job_output.json
            }""", input_spec=[{"name": "n", "class": "int"}],
            output_spec=[{"name": "m", "class": "int"}, {"name": "f", "class": "file"}])
        use = self.applet("use", """
            main() {
                f=$(python3 -c 'import json; print(json.load(open("job_input.json"))["f"]["$dnanexus_link"])')
                text=$(dxcall cat "$f" "$DX_PROJECT_CONTEXT_ID")
                echo "{\\"text\\": \\"$text\\"}" > job_output.json
            }""", input_spec=[{"name": "f", "class": "file"}, {"name": "m", "class": "int"}],
            output_spec=[{"name": "text", "class": "string"}])
        wf = {"name": "wf", "inputs": [{"name": "start", "class": "int"}],
              "stages": [{"id": "s1", "executable": make["id"],
                          "input": {"n": {"$dnanexus_link": {"workflowInputField": "start"}}}},
                         {"id": "s2", "executable": use["id"],
                          "input": {"f": {"$dnanexus_link": {"stage": "s1", "outputField": "f"}},
                                    "m": {"$dnanexus_link": {"stage": "s1", "outputField": "m"}}}}],
              "outputs": [{"name": "text", "class": "string",
                           "outputSource": {"$dnanexus_link": {"stage": "s2",
                                                               "outputField": "text"}}}]}
        path = os.path.join(self.tmp, "wf.json")
        with open(path, "w") as f:
            json.dump(wf, f)
        analysis = run_workflow(self.emu, load_workflow(path, self.emu.state), ["start=41"])
        self.assertEqual((analysis["state"], analysis["output"]), ("done", {"text": "made 41"}),
                         analysis)
        self.assertTrue(analysis["id"].startswith("analysis-"))
        jobs = [s["execution"]["id"] for s in analysis["stages"]]
        self.assertEqual(self.emu.state.get(jobs[1])["input"]["m"], 42)
        self.assertNotEqual(*[self.emu.state.get(j)["workspace"] for j in jobs])

    def test_workflow_stage_failure(self):
        from workflow import load_workflow, run_workflow
        bad = self.applet("bad", """
            main() {
                echo '{"error": {"type": "AppError", "message": "stage broke"}}' > job_error.json
                exit 3
            }""")
        never = self.applet("never", "main() { echo ran > ran.txt; }\n", input_spec=[
            {"name": "x", "class": "int"}])
        wf = {"stages": [{"id": "a", "executable": bad["id"]},
                         {"id": "b", "executable": never["id"], "input": {
                             "x": {"$dnanexus_link": {"stage": "a", "outputField": "y"}}}}]}
        path = os.path.join(self.tmp, "wf.json")
        with open(path, "w") as f:
            json.dump(wf, f)
        analysis = run_workflow(self.emu, load_workflow(path, self.emu.state), [])
        self.assertEqual((analysis["state"], analysis["failureReason"],
                          analysis["failureMessage"]), ("failed", "AppError", "stage broke"))
        self.assertEqual(analysis["stages"][1]["execution"], None)
        wf["stages"][0]["input"] = {"z": {"$dnanexus_link": {"stage": "b", "outputField": "q"}}}
        with open(path, "w") as f:
            json.dump(wf, f)
        with self.assertRaises(ValueError):
            load_workflow(path, self.emu.state)

    def test_workflow_placeholders(self):
        from workflow import WorkflowError, load_workflow, parse_applet_pairs
        a = self.applet("a", "main() { :; }\n")
        wf = {"stages": [{"id": "s", "executable": "@a@"}]}
        path = os.path.join(self.tmp, "wf.json")
        with open(path, "w") as f:
            json.dump(wf, f)
        loaded = load_workflow(path, self.emu.state, parse_applet_pairs([f"a={a['id']}"]))
        self.assertEqual(loaded["stages"][0]["executable"], a["id"])
        with self.assertRaisesRegex(WorkflowError, "--applet a=applet-"):
            load_workflow(path, self.emu.state)
        with self.assertRaises(WorkflowError):
            parse_applet_pairs(["a"])
        with self.assertRaisesRegex(WorkflowError, "not a registered applet"):
            load_workflow(path, self.emu.state, {"a": "applet-" + "B" * 24})

    def test_cli_serve_with_user_token(self):
        env = {**os.environ, "DXEMU_USER_TOKEN": "user-secret-1"}
        proc = subprocess.Popen([sys.executable, DXEMU, "serve", self.root], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            ports = json.loads(proc.stdout.readline())
            conn = http.client.HTTPConnection("127.0.0.1", ports["api_port"], timeout=10)
            conn.request("POST", f"/{ports['project']}/describe", "{}",
                         {"Authorization": "Bearer user-secret-1"})
            resp = conn.getresponse()
            self.assertEqual((resp.status, json.loads(resp.read())["level"]), (200, "ADMINISTER"))
            conn.request("POST", "/job/new", '{"function": "main", "input": {}}',
                         {"Authorization": "Bearer user-secret-1"})
            self.assertEqual(conn.getresponse().status, 401)
            conn.close()
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
        self.assertNotIn("user-secret-1", err)

    def test_cli_commands(self):
        root = os.path.join(self.tmp, "cli")
        r = self.dxemu("init", root, "--upload-params", "azure", "--min-part-size", "7")
        self.assertEqual(r.returncode, 0, r.stderr)
        project = r.stdout.strip()
        self.assertRegex(project, r"^project-[0-9BFGJKPQVXYZbfgjkpqvxyz]{24}$")
        data_path = os.path.join(self.tmp, "in.txt")
        with open(data_path, "w") as f:
            f.write("input text\n")
        fid = self.dxemu("upload", root, data_path, "--name", "in.txt").stdout.strip()
        self.assertEqual(self.dxemu("cat", root, fid).stdout, "input text\n")
        self.assertEqual(json.loads(self.dxemu("describe", root, fid).stdout)["name"], "in.txt")
        adir = make_applet(self.tmp, "cliapp", """
            main() {
                f=$(python3 -c 'import json; print(json.load(open("job_input.json"))["f"]["$dnanexus_link"])')
                text=$(dxcall cat "$f" "$DX_PROJECT_CONTEXT_ID")
                out=$(dxcall upload out.txt "got $text")
                echo "{\\"out\\": {\\"\\$dnanexus_link\\": \\"$out\\"}}" > job_output.json
            }""", [{"name": "f", "class": "file"}], [{"name": "out", "class": "file"}])
        r = self.dxemu("run", root, adir, "-i", f"f={fid}")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual((d["state"], d["failureReason"]), ("done", None))
        out = d["output"]["out"]["$dnanexus_link"]
        self.assertEqual(self.dxemu("cat", root, out).stdout, "got input text")
        r = self.dxemu("run", root, adir, "-i", "f=file-" + "B" * 24)
        self.assertEqual(r.returncode, 2)
        self.assertIn("could not be found", r.stderr)
        raw = os.path.join(self.tmp, "raw.json")
        with open(raw, "w") as f:
            f.write("{not json")
        r = self.dxemu("run", root, adir, "--raw-input", raw)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(json.loads(r.stdout)["state"], "failed")
        job_home = os.path.join(root, "jobs", json.loads(r.stdout)["id"], "home")
        with open(os.path.join(job_home, "job_input.json")) as f:
            self.assertEqual(f.read(), "{not json")


class TestMaxParallel(EmulatorCase):
    max_parallel = 1

    def test_max_parallel(self):
        d = self.run_applet("serial", """
            main() { dxcall newjob nap '{}' > /dev/null; dxcall newjob nap '{}' > /dev/null; }
            nap() { sleep 0.3; }
            """)
        self.assertEqual(d["state"], "done", d)
        naps = sorted((o["startedRunning"], o["stoppedRunning"])
                      for o in self.emu.state.objects.values() if o.get("function") == "nap")
        self.assertEqual(len(naps), 2)
        self.assertGreaterEqual(naps[1][0], naps[0][1])


class TestRate(EmulatorCase):
    rate = 4e6

    def test_rate_limit(self):
        data = os.urandom(2 * 10**6)
        fid = self.put_file(data)
        dl = self.download(fid)
        start = time.time()
        self.assertEqual(self.storage("GET", dl["url"], dl["headers"])[2], data)
        self.assertAlmostEqual(time.time() - start, 0.5, delta=0.1)
        fid = self.new_file()
        start = time.time()
        self.upload_part(fid, 1, data[:10**6])
        self.assertAlmostEqual(time.time() - start, 0.25, delta=0.08)


# ---- running -----------------------------------------------------------------

TIMED = (TestRate, TestMaxParallel)

OUTPUT_LOCK = threading.Lock()


def print_line(line):
    """One whole line on stdout: tests run in threads, and print() writes
    the text and its newline separately, so two lines could interleave."""
    with OUTPUT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class LineResult(unittest.TestResult):
    """Prints "PASS name" or "FAIL name: why" for each test."""

    def addSuccess(self, test):
        super().addSuccess(test)
        print_line(f"PASS emulator.{test._testMethodName}")

    def _fail(self, test, err):
        why = "".join(str(err[1]).splitlines()[:1]) or err[0].__name__
        print_line(f"FAIL emulator.{test._testMethodName}: {err[0].__name__}: {why}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err)

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    tests = list(iter_tests(suite))
    results = [None] * len(tests)

    def run(i):
        result = LineResult()
        tests[i].run(result)
        results[i] = result

    # Tests that measure time run alone, after the others, so that the load
    # of the parallel batches does not skew their measurements.
    timed = [i for i, t in enumerate(tests) if isinstance(t, TIMED)]
    batches = [i for i in range(len(tests)) if i not in timed]
    threads = [threading.Thread(target=run, args=(i,)) for i in batches]
    for start in range(0, len(threads), 8):
        batch = threads[start:start + 8]
        for t in batch:
            t.start()
        for t in batch:
            t.join()
    for i in timed:
        run(i)
    return 0 if all(r.wasSuccessful() for r in results) else 1


def iter_tests(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from iter_tests(item)
        else:
            yield item


if __name__ == "__main__":
    sys.exit(main())
