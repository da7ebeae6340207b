"""The emulator's persistent platform state, kept in a ROOT directory.

Offers State: every platform object (projects, workspace containers, files,
applets, jobs, analyses) as a JSON document in ROOT/objects/<id>.json, file
bytes under ROOT/files/<file-id>/ (`data` once closed, `parts/<n>` while
open), job homes under ROOT/jobs/<job-id>/. One re-entrant lock guards every
change; `changed` is a condition on that lock, notified on every save, which
the job scheduler waits on. Also: new_id() (platform-shaped IDs), now_ms(),
and the fileUploadParameters presets of AWS and Azure.

Layout of ROOT:
    emulator.json        {"project": "<default project id>"}
    objects/<id>.json    one platform object each
    files/<id>/data      a closed file's bytes
    files/<id>/parts/<n> an open file's uploaded parts
    jobs/<id>/home       a job's $HOME; jobs/<id>/log its log
    requests.jsonl       the request log (see reqlog.py)
"""

import json
import os
import secrets
import threading
import time
from pathlib import Path

ID_ALPHABET = "0123456789BFGJKPQVXYZbfgjkpqvxyz"
REGION = "aws:us-east-1"

UPLOAD_PARAMS = {
    "aws": {
        "minimumPartSize": 5242880,
        "maximumPartSize": 5368709120,
        "maximumNumParts": 10000,
        "maximumFileSize": 5497558138880,
        "emptyLastPartAllowed": True,
    },
    "azure": {
        "minimumPartSize": 1,
        "maximumPartSize": 4194304,
        "maximumNumParts": 50000,
        "maximumFileSize": 209715200000,
        "emptyLastPartAllowed": False,
    },
}


def now_ms():
    """Milliseconds since the epoch, as the platform's timestamps."""
    return int(time.time() * 1000)


def random_id(cls):
    """`<cls>-` plus 24 characters of the platform's ID alphabet."""
    return cls + "-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(24))


def write_json_atomic(path, value):
    """Write JSON to `path` through a temporary file and a rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


class State:
    """All platform objects of one ROOT, in memory and on disk."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        meta_path = self.root / "emulator.json"
        if not meta_path.is_file():
            raise FileNotFoundError(f"{self.root} is not an emulator state (run init first)")
        with open(meta_path) as f:
            self.meta = json.load(f)
        self.objects = {}
        for path in (self.root / "objects").glob("*.json"):
            with open(path) as f:
                obj = json.load(f)
            self.objects[obj["id"]] = obj

    @classmethod
    def create(cls, root, upload_params):
        """Make a fresh state with one project; returns the State."""
        root = Path(root)
        for sub in ("objects", "files", "jobs"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        if any((root / "objects").iterdir()):
            raise FileExistsError(f"{root} already holds an emulator state")
        project_id = random_id("project")
        write_json_atomic(root / "emulator.json", {"project": project_id})
        state = cls(root)
        state.save({
            "id": project_id, "class": "project", "name": "emulated project",
            "region": REGION, "created": now_ms(), "modified": now_ms(),
            "fileUploadParameters": dict(upload_params), "folders": ["/"],
        })
        return state

    @property
    def project_id(self):
        """The default project, made by init."""
        return self.meta["project"]

    def new_id(self, cls):
        """A fresh, unused ID of class `cls`."""
        with self.lock:
            while True:
                oid = random_id(cls)
                if oid not in self.objects:
                    return oid

    def get(self, oid, cls=None):
        """The object with this ID (of class `cls` if given), or None."""
        obj = self.objects.get(oid)
        if obj is None or (cls is not None and obj["class"] != cls):
            return None
        return obj

    def save(self, obj):
        """Store `obj` (in memory and on disk) and wake up waiters."""
        with self.lock:
            obj["modified"] = now_ms()
            self.objects[obj["id"]] = obj
            write_json_atomic(self.root / "objects" / (obj["id"] + ".json"), obj)
            self.changed.notify_all()

    def file_dir(self, file_id):
        """Directory of a file's bytes (data and parts)."""
        return self.root / "files" / file_id

    def job_dir(self, job_id):
        """Directory of a job (home and log)."""
        return self.root / "jobs" / job_id
