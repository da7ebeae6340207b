"""File objects: the /file/new, /file-xxxx/{describe,upload,download,close}
routes, the close rules, and the offline import used by the CLI `upload`.

Offers Files (one per emulator) and close_problem(). A file record keeps
`containers` ({container id: folder}, creation container first), `state`
(open -> closing -> closed) and `parts` ({"<n>": {"state", "size"?, "md5"?}}).
Part bytes are stored by the storage server through part_uploaded(); closing
concatenates them into files/<id>/data in a background thread, and the file
turns `closed` after the close delay.

Choices for UNCONFIRMED points (see README.md):
- `/download` requires `project`, a container the caller can view that holds
  the file; input files are not cloned into job workspaces (they stay
  readable through the project context), so the workspace is no valid hint
  for them.
- `/upload` puts the part in state `pending` until a PUT succeeds, even if
  it was complete before; `/close` refuses pending parts.
- `/close` refuses gaps in the part numbers (parts must be 1..N).
- Part md5 must be 32 lowercase hex digits.
"""

import hashlib
import re
import shutil
import threading
import time

from access import LEVELS
from errors import (ApiError, get_bool, get_fields, get_int, get_str, get_str_list,
                    get_str_map, invalid, select_fields)
from state import now_ms

MD5_RE = re.compile(r"^[0-9a-f]{32}$")
FOLDER_RE = re.compile(r"^/([^/]+(/[^/]+)*)?$")
DEFAULT_FIELDS = ("id", "project", "class", "types", "created", "modified", "state",
                  "hidden", "links", "name", "folder", "sponsored", "tags", "createdBy",
                  "media", "archivalState", "size")
DEFAULT_DOWNLOAD_SECONDS = 24 * 3600


def close_problem(parts, params):
    """Why /close must refuse these parts under fileUploadParameters, or None."""
    if any(p["state"] != "complete" for p in parts.values()):
        pending = sorted(int(i) for i, p in parts.items() if p["state"] != "complete")
        return f"part(s) {pending} not yet uploaded"
    indexes = sorted(int(i) for i in parts)
    if not indexes:
        if params["emptyLastPartAllowed"]:
            return "no parts uploaded; an empty file needs one empty part"
        return None
    if indexes != list(range(1, len(indexes) + 1)):
        return f"parts must be numbered 1..N without gaps; got {indexes}"
    sizes = [parts[str(i)]["size"] for i in indexes]
    for i, size in zip(indexes[:-1], sizes[:-1]):
        if size < params["minimumPartSize"]:
            return (f"part {i} has {size} bytes, less than minimumPartSize "
                    f"{params['minimumPartSize']} and it is not the last part")
    for i, size in zip(indexes, sizes):
        if size > params["maximumPartSize"]:
            return f"part {i} has {size} bytes, more than maximumPartSize {params['maximumPartSize']}"
    if not params["emptyLastPartAllowed"] and sizes[-1] == 0:
        return "the last part is empty and emptyLastPartAllowed is false"
    if sum(sizes) > params["maximumFileSize"]:
        return f"the file size {sum(sizes)} exceeds maximumFileSize {params['maximumFileSize']}"
    return None


def check_folder(folder):
    """A folder path in canonical form, or InvalidInput."""
    if len(folder) > 1 and folder.endswith("/"):
        folder = folder[:-1]
    if not FOLDER_RE.match(folder):
        raise invalid(f'Invalid folder path "{folder}"')
    return folder


def parent_folders(folder):
    """A folder and all its ancestors, "/" first."""
    parts = [p for p in folder.split("/") if p]
    return ["/"] + ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def file_describe(f, container):
    """The full describe hash of file `f` as seen in `container`."""
    complete = [p for p in f["parts"].values() if p["state"] == "complete"]
    return {
        "id": f["id"], "class": "file", "project": container,
        "name": f["name"], "folder": f["containers"][container],
        "state": f["state"],
        "size": f.get("size", sum(p.get("size", 0) for p in complete)),
        "media": f["media"], "types": f["types"], "tags": f["tags"],
        "hidden": f["hidden"], "links": [], "sponsored": False,
        "archivalState": "live", "created": f["created"], "modified": f["modified"],
        "createdBy": f["createdBy"], "properties": f["properties"], "details": f["details"],
        "parts": f["parts"],
    }


class Files:
    """The file routes and file bookkeeping of one emulator."""

    def __init__(self, state, close_delay):
        self.state = state
        self.storage = None  # set by the emulator once the storage server exists
        self.close_delay = close_delay
        self._closers = []

    # ---- lookups ---------------------------------------------------------

    def container(self, cid):
        """A project or workspace container, or ResourceNotFound."""
        obj = self.state.get(cid)
        if obj is None or obj["class"] not in ("project", "container"):
            raise ApiError("ResourceNotFound", f'The entity "{cid}" could not be found')
        return obj

    def get(self, fid):
        """A file record, or ResourceNotFound."""
        f = self.state.get(fid, "file")
        if f is None:
            raise ApiError("ResourceNotFound", f'The entity "{fid}" could not be found')
        return f

    def seen_in(self, caller, f, hint):
        """The container through which the caller sees file `f`.

        With a hint: that container, which the caller must be able to view
        and which must hold the file. Without: the first container holding
        the file that the caller can view."""
        if hint is not None:
            self.container(hint)
            caller.require(hint, "VIEW")
            if hint not in f["containers"]:
                raise ApiError("ResourceNotFound", f'"{f["id"]}" could not be found in "{hint}"')
            return hint
        for cid in f["containers"]:
            if caller.level(cid) >= LEVELS["VIEW"]:
                return cid
        raise ApiError("PermissionDenied", f'VIEW permission required to access "{f["id"]}"')

    def params_of(self, f):
        """fileUploadParameters of the file's creation container."""
        return self.container(next(iter(f["containers"])))["fileUploadParameters"]

    # ---- API routes ------------------------------------------------------

    def describe(self, caller, fid, body):
        """POST /file-xxxx/describe."""
        hint = get_str(body, "project")
        fields, default_fields = get_fields(body)
        extra = [k for k in ("properties", "details") if get_bool(body, k)]
        with self.state.lock:
            f = self.get(fid)
            full = file_describe(f, self.seen_in(caller, f, hint))
            return select_fields(full, fields, default_fields, DEFAULT_FIELDS + tuple(extra))

    def new(self, caller, body):
        """POST /file/new."""
        project = get_str(body, "project", required=True)
        name = get_str(body, "name")
        folder = check_folder(get_str(body, "folder", default="/"))
        parents = get_bool(body, "parents")
        record = {
            "class": "file", "state": "open", "parts": {},
            "media": get_str(body, "media", default=""),
            "hidden": get_bool(body, "hidden"),
            "tags": get_str_list(body, "tags", default=[]),
            "types": get_str_list(body, "types", default=[]),
            "properties": get_str_map(body, "properties"),
            "details": body.get("details", {}),
            "created": now_ms(),
            "createdBy": {"user": "user-emulator"},
        }
        if not isinstance(record["details"], (dict, list)):
            raise invalid('Expected key "details" of input to be a JSON object or array')
        if caller.job is not None:
            record["createdBy"].update(job=caller.job["id"], executable=caller.job["applet"])
        with self.state.lock:
            container = self.container(project)
            caller.require(project, "UPLOAD")
            self._ensure_folder(container, folder, parents)
            record["id"] = self.state.new_id("file")
            record["name"] = record["id"] if name is None else name
            record["containers"] = {project: folder}
            self.state.file_dir(record["id"]).mkdir(parents=True, exist_ok=True)
            self.state.save(record)
        return {"id": record["id"]}

    def _ensure_folder(self, container, folder, parents):
        """ResourceNotFound for a missing folder unless `parents`, which
        creates it and its ancestors."""
        if folder in container["folders"]:
            return
        if not parents:
            raise ApiError("ResourceNotFound", f'The folder "{folder}" could not be found in '
                                               f'"{container["id"]}"')
        container["folders"] = sorted(set(container["folders"]) | set(parent_folders(folder)))
        self.state.save(container)

    def upload(self, caller, fid, body):
        """POST /file-xxxx/upload: a single-use URL for one part."""
        with self.state.lock:
            f = self.get(fid)
            params = self.params_of(f)
            index = get_int(body, "index", 1, 1, params["maximumNumParts"])
            size = get_int(body, "size", None, 0, params["maximumPartSize"])
            md5 = get_str(body, "md5")
            if md5 is not None and not MD5_RE.match(md5):
                raise invalid('Expected key "md5" of input to be 32 lowercase hexadecimal digits')
            caller.require(next(iter(f["containers"])), "UPLOAD")
            if f["state"] != "open":
                raise ApiError("InvalidState", f'"{fid}" is not in the open state')
            f["parts"][str(index)] = {"state": "pending"}
            self.state.save(f)
        return self.storage.issue_upload(fid, index, size, md5, job=caller.job and caller.job["id"])

    def download(self, caller, fid, body):
        """POST /file-xxxx/download: a URL and the headers it needs."""
        project = get_str(body, "project")
        duration = get_int(body, "duration", DEFAULT_DOWNLOAD_SECONDS, 1)
        preauth = get_bool(body, "preauthenticated")
        filename = get_str(body, "filename")
        with self.state.lock:
            f = self.get(fid)
            if project is None:
                raise invalid(f'Cannot make a download URL for "{fid}" without "project"')
            if not project.startswith(("project-", "container-")):
                raise invalid('Expected key "project" of input to be a project or container ID')
            self.container(project)
            caller.require(project, "VIEW")
            if project not in f["containers"]:
                raise invalid(f'"{fid}" is not in "{project}"')
            if f["state"] != "closed":
                raise ApiError("InvalidState", f'"{fid}" is not in the closed state')
            name = f["name"] if filename is None else filename
        return self.storage.issue_download(fid, name, duration, preauth,
                                           job=caller.job and caller.job["id"])

    def close(self, caller, fid, closing_seconds=None, never_close=False):
        """POST /file-xxxx/close. A fault may hold the file in `closing`
        for closing_seconds, or forever (never_close)."""
        with self.state.lock:
            f = self.get(fid)
            caller.require(next(iter(f["containers"])), "UPLOAD")
            if f["state"] != "open":
                return {"id": fid}
            problem = close_problem(f["parts"], self.params_of(f))
            if problem:
                raise ApiError("InvalidState", f'Cannot close "{fid}": {problem}')
            f["state"] = "closing"
            self.state.save(f)
        if not never_close:
            delay = self.close_delay if closing_seconds is None else closing_seconds
            closer = threading.Thread(target=self._finish_close, args=(fid, delay), daemon=True)
            self._closers.append(closer)
            closer.start()
        return {"id": fid}

    def _finish_close(self, fid, delay):
        """Concatenate the parts into the file's data, then mark it closed."""
        started = time.monotonic()
        fdir = self.state.file_dir(fid)
        with self.state.lock:
            parts = sorted(self.get(fid)["parts"], key=int)
        tmp = fdir / "data.tmp"
        with open(tmp, "wb") as out:
            for index in parts:
                with open(fdir / "parts" / index, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        time.sleep(max(0.0, delay - (time.monotonic() - started)))
        with self.state.lock:
            f = self.get(fid)
            tmp.replace(fdir / "data")
            shutil.rmtree(fdir / "parts", ignore_errors=True)
            f["size"] = sum(p["size"] for p in f["parts"].values())
            f["state"] = "closed"
            self.state.save(f)

    def wait_closing(self):
        """Wait for the files being closed (not those a fault holds)."""
        for closer in list(self._closers):
            closer.join()

    # ---- storage callback ------------------------------------------------

    def part_uploaded(self, fid, index, tmp_path, size, md5):
        """Store a received part; False when the file is no longer open."""
        with self.state.lock:
            f = self.state.get(fid, "file")
            if f is None or f["state"] != "open":
                tmp_path.unlink(missing_ok=True)
                return False
            pdir = self.state.file_dir(fid) / "parts"
            pdir.mkdir(exist_ok=True)
            tmp_path.replace(pdir / str(index))
            f["parts"][str(index)] = {"state": "complete", "size": size, "md5": md5}
            self.state.save(f)
            return True

    # ---- offline use and job outputs -------------------------------------

    def import_local(self, path, name, project, folder, part_size, with_md5):
        """Store a local file as a closed file (CLI `upload`); its ID."""
        folder = check_folder(folder)
        with self.state.lock:
            container = self.container(project)
            self._ensure_folder(container, folder, True)
            fid = self.state.new_id("file")
        fdir = self.state.file_dir(fid)
        fdir.mkdir(parents=True)
        parts, total = {}, 0
        with open(path, "rb") as src, open(fdir / "data", "wb") as out:
            while True:
                chunk = src.read(part_size)
                if chunk or not parts:  # an empty file is one empty part
                    part = {"state": "complete", "size": len(chunk)}
                    if with_md5:
                        part["md5"] = hashlib.md5(chunk).hexdigest()
                    parts[str(len(parts) + 1)] = part
                    out.write(chunk)
                    total += len(chunk)
                if len(chunk) < part_size:
                    break
        params = container["fileUploadParameters"]
        if total == 0 and not params["emptyLastPartAllowed"]:
            parts = {}
        problem = close_problem(parts, params)
        if problem:
            shutil.rmtree(fdir)
            raise ValueError(f"{path}: cannot store with part size {part_size}: {problem}")
        self.state.save({
            "id": fid, "class": "file", "containers": {project: folder}, "name": name,
            "state": "closed", "size": total, "parts": parts, "media": "", "hidden": False,
            "tags": [], "types": [], "properties": {}, "details": {}, "created": now_ms(),
            "createdBy": {"user": "user-emulator"},
        })
        return fid

    def clone(self, fid, container_id, folder="/"):
        """Put a file into another container too (job outputs into the project)."""
        with self.state.lock:
            f = self.get(fid)
            if container_id not in f["containers"]:
                f["containers"][container_id] = folder
                self.state.save(f)
