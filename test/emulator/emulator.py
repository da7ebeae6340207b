"""The emulator as one object: state, request log, faults, both servers and
the job manager, plus applet registration and running a root job.

Offers Emulator (a context manager: start() the servers, stop() them after
terminating what still runs), build_applet() (what `dx build` checks in an
applet directory, minus running make) and AppletError.
"""

import json
import os
import re
import subprocess

from api import Api
from faults import FaultSet
from files import Files
from iospec import DATA_CLASSES, SCALARS, validate_input
from jobs import JobManager
from reqlog import RequestLog
from state import State, now_ms
from storage import Storage

NAME_RE = re.compile(r"^[a-zA-Z_][0-9a-zA-Z_]*$")
CLASSES = set(SCALARS) | set(DATA_CLASSES)


class AppletError(ValueError):
    """An applet directory `dx build` would refuse."""


def _check_io_spec(spec, what):
    if spec is None:
        return
    if not isinstance(spec, list):
        raise AppletError(f"{what} must be a list")
    for field in spec:
        if not isinstance(field, dict) or not NAME_RE.match(str(field.get("name", ""))):
            raise AppletError(f"{what}: invalid field name in {field!r}")
        cls = field.get("class", "")
        if cls.removeprefix("array:") not in CLASSES:
            raise AppletError(f'{what}: field "{field["name"]}" has unknown class "{cls}"')


def read_dxapp(applet_dir):
    """dxapp.json of an applet directory, checked as `dx build` does."""
    path = os.path.join(applet_dir, "dxapp.json")
    try:
        with open(path) as f:
            dxapp = json.load(f)
    except (OSError, ValueError) as e:
        raise AppletError(f"cannot read {path}: {e}") from e
    run_spec = dxapp.get("runSpec") if isinstance(dxapp, dict) else None
    if not isinstance(run_spec, dict):
        raise AppletError(f"{path}: runSpec is required")
    for key in ("interpreter", "distribution", "release", "file"):
        if not run_spec.get(key):
            raise AppletError(f"{path}: runSpec.{key} is required")
    if run_spec["interpreter"] != "bash":
        raise AppletError(f"{path}: the emulator runs only bash entry scripts")
    script = os.path.join(applet_dir, run_spec["file"])
    check = subprocess.run(["bash", "-n", script], capture_output=True, text=True)
    if check.returncode != 0:
        raise AppletError(f"{script}: {check.stderr.strip() or 'syntax check failed'}")
    _check_io_spec(dxapp.get("inputSpec"), "inputSpec")
    _check_io_spec(dxapp.get("outputSpec"), "outputSpec")
    return dxapp


class Emulator:
    """One emulated platform over a ROOT directory."""

    def __init__(self, root, faults=None, rate=None, close_delay=0.3, max_parallel=None,
                 echo=True, user_token=None):
        self.state = State(root)
        self.log = RequestLog(self.state.root / "requests.jsonl")
        self.faults = faults or FaultSet()
        self.files = Files(self.state, close_delay)
        self.storage = Storage(self.state, self.files, self.faults, self.log, rate)
        self.files.storage = self.storage
        self.jobs = JobManager(self.state, self.files, echo, max_parallel)
        self.api = Api(self.state, self.files, self.jobs, self.faults, self.log, user_token)
        self.api_port = self.storage_port = None

    def start(self, api_port=0, storage_port=0):
        """Start both servers; returns (api port, storage port)."""
        self.storage_port = self.storage.start(storage_port)
        self.api_port = self.api.start(api_port)
        self.jobs.api_port = self.api_port
        return self.api_port, self.storage_port

    def stop(self):
        """Terminate running jobs, let closing files close, stop the servers."""
        self.jobs.shutdown()
        self.files.wait_closing()
        self.api.stop()
        self.storage.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- applets and jobs ------------------------------------------------

    def build(self, applet_dir):
        """Register an applet directory (like `dx build`); its record."""
        applet_dir = os.path.abspath(applet_dir)
        dxapp = read_dxapp(applet_dir)
        with self.state.lock:
            applet = {"id": self.state.new_id("applet"), "class": "applet",
                      "name": dxapp.get("name") or os.path.basename(applet_dir),
                      "project": self.state.project_id, "dir": applet_dir, "dxapp": dxapp,
                      "created": now_ms()}
            self.state.save(applet)
        return applet

    def check_object(self, oid, project):
        """Why a linked input object cannot be used by a root job, or None."""
        obj = self.state.get(oid)
        if obj is None:
            return f'"{oid}" could not be found'
        if obj["class"] != "file":
            return None
        where = project or self.state.project_id
        if where not in obj["containers"]:
            return f'"{oid}" is not in {where}'
        if obj["state"] != "closed":
            return f'"{oid}" is not closed (state {obj["state"]})'
        return None

    def start_job(self, applet, given_input=None, raw_input=None, function="main",
                  timeout=None, stage=None):
        """Validate the input (unless raw) and start a root job; its ID.
        SpecError when the input does not fit the inputSpec. `stage` =
        (analysis ID, stage ID) for a workflow stage."""
        if raw_input is not None:
            try:
                with open(raw_input) as f:
                    given_input = json.load(f)
            except ValueError:
                given_input = None
            return self.jobs.start_root(applet, given_input, given_input, function, timeout,
                                        raw_input_path=raw_input)
        spec = applet["dxapp"].get("inputSpec") if function == "main" else None
        job_input = validate_input(spec, given_input or {}, self.check_object)
        return self.jobs.start_root(applet, given_input or {}, job_input, function, timeout,
                                    stage=stage)

    def run(self, applet, given_input=None, raw_input=None, function="main", timeout=None):
        """Run a root job and its tree to the end; the root's describe."""
        jid = self.start_job(applet, given_input, raw_input, function, timeout)
        self.jobs.wait(jid)
        return self.jobs.describe(jid)

